// The Go runtime would otherwise keep cgroup files open from start-up,
// and ww must not hold fds it does not account for.

//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

// Command ww starts programs with named file descriptors: see README.md.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(exitCode(run(context.Background(), os.Args, os.Stdout, os.Stderr), os.Stderr))
}
