package main

import (
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
)

// Packages the driver builds when it is not given the binaries.
const (
	wwPackage       = "github.com/ww-dev/ww/cmd/ww"
	launcherPackage = "github.com/ww-dev/ww/cmd/ww-bench/launcher"
)

// buildTools builds ww and the launcher into dir with go build, from the
// module the current directory is in, and returns their paths.
func buildTools(dir string, stderr io.Writer) (ww, launcher string, err error) {
	ww = filepath.Join(dir, "ww")
	launcher = filepath.Join(dir, "launcher")
	for _, b := range []struct{ out, pkg string }{{ww, wwPackage}, {launcher, launcherPackage}} {
		cmd := exec.Command("go", "build", "-o", b.out, b.pkg)
		cmd.Stdout, cmd.Stderr = stderr, stderr
		if err := cmd.Run(); err != nil {
			return "", "", fmt.Errorf("go build %s: %w", b.pkg, err)
		}
	}
	return ww, launcher, nil
}
