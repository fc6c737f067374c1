// The same directives as cmd/ww/main.go, so that both pay the same Go
// runtime start-up and the comparison measures only what ww adds.

//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

// Command launcher is the floor for any Go program that starts another with
// an extra fd: it starts /bin/true (or its first argument) with its own
// stdin as fd 3 through os/exec, waits, and exits with the child's status.
// ww-bench compares `ww run --with-fd x=0 -- /bin/true` against it.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

func main() {
	path := "/bin/true"
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	cmd := exec.Command(path)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{os.Stdin}
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		os.Exit(0)
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			os.Exit(128 + int(ws.Signal()))
		}
		os.Exit(ee.ExitCode())
	default:
		fmt.Fprintf(os.Stderr, "launcher: %v\n", err)
		os.Exit(126)
	}
}
