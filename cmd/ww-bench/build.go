package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// Packages the driver builds when it is not given the binaries.
const (
	wwPackage       = "github.com/ww-dev/ww/cmd/ww"
	launcherPackage = "github.com/ww-dev/ww/cmd/ww-bench/launcher"
	execRuncPackage = "github.com/ww-dev/ww/cmd/ww-bench/execrunc"
	nopPackage      = "github.com/ww-dev/ww/cmd/ww-bench/nop"
)

// buildTools builds ww, the launcher, execrunc and nop into dir with go
// build (static: the containers have no C library), from the module the
// current directory is in, and returns their paths.
func buildTools(dir string, stderr io.Writer) (ww, launcher, execRunc, nop string, err error) {
	ww = filepath.Join(dir, "ww")
	launcher = filepath.Join(dir, "launcher")
	execRunc = filepath.Join(dir, "execrunc")
	nop = filepath.Join(dir, "nop")
	for _, b := range []struct{ out, pkg string }{
		{ww, wwPackage}, {launcher, launcherPackage}, {execRunc, execRuncPackage}, {nop, nopPackage},
	} {
		cmd := exec.Command("go", "build", "-o", b.out, b.pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cmd.Stdout, cmd.Stderr = stderr, stderr
		if err := cmd.Run(); err != nil {
			return "", "", "", "", fmt.Errorf("go build %s: %w", b.pkg, err)
		}
	}
	return ww, launcher, execRunc, nop, nil
}
