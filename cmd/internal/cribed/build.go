package cribed

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Binaries are the programs a test bed runs, built from this module.
type Binaries struct {
	// WW is ww; WWRuntime the ww-runtime link to it, a handler's
	// BinaryName.
	WW, WWRuntime string
	// Probe is the static probe the image is made of.
	Probe string
	// Floor is execrunc built to exec runc: the floor handler's
	// BinaryName.
	Floor string
}

// Build builds the programs into dir.
func Build(dir string) (Binaries, error) {
	runc, err := exec.LookPath("runc")
	if err != nil {
		return Binaries{}, err
	}
	if runc, err = filepath.Abs(runc); err != nil {
		return Binaries{}, err
	}
	b := Binaries{WW: filepath.Join(dir, "ww"), WWRuntime: filepath.Join(dir, "ww-runtime"),
		Probe: filepath.Join(dir, "probe"), Floor: filepath.Join(dir, "execrunc")}
	for _, p := range []struct{ out, pkg, ldflags string }{
		{b.WW, "github.com/ww-dev/ww/cmd/ww", ""},
		{b.Probe, "github.com/ww-dev/ww/cmd/internal/probe", ""},
		{b.Floor, "github.com/ww-dev/ww/cmd/ww-bench/execrunc", "-X main.lower=" + runc},
	} {
		cmd := exec.Command("go", "build", "-o", p.out, "-ldflags", p.ldflags, p.pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return Binaries{}, fmt.Errorf("go build %s: %w\n%s", p.pkg, err, out)
		}
	}
	return b, os.Symlink("ww", b.WWRuntime)
}
