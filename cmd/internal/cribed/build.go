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

// Build builds the programs into dir, from the module the current
// directory is in.
func Build(dir string) (Binaries, error) {
	ww := filepath.Join(dir, "ww")
	if err := goBuild(ww, "github.com/ww-dev/ww/cmd/ww", ""); err != nil {
		return Binaries{}, err
	}
	return BuildFor(dir, ww)
}

// BuildFor builds the probe and the floor into dir, and links
// dir/ww-runtime to the ww binary given.
func BuildFor(dir, ww string) (Binaries, error) {
	runc, err := exec.LookPath("runc")
	if err != nil {
		return Binaries{}, err
	}
	if runc, err = filepath.Abs(runc); err != nil {
		return Binaries{}, err
	}
	if ww, err = filepath.Abs(ww); err != nil {
		return Binaries{}, err
	}
	b := Binaries{WW: ww, WWRuntime: filepath.Join(dir, "ww-runtime"),
		Probe: filepath.Join(dir, "probe"), Floor: filepath.Join(dir, "execrunc")}
	if err := goBuild(b.Probe, "github.com/ww-dev/ww/cmd/internal/probe", ""); err != nil {
		return Binaries{}, err
	}
	if err := goBuild(b.Floor, "github.com/ww-dev/ww/cmd/ww-bench/execrunc", "-X main.lower="+runc); err != nil {
		return Binaries{}, err
	}
	return b, os.Symlink(ww, b.WWRuntime)
}

func goBuild(out, pkg, ldflags string) error {
	cmd := exec.Command("go", "build", "-o", out, "-ldflags", ldflags, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}
