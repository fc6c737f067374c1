// The same directives as cmd/ww/main.go: the Go runtime would otherwise
// keep cgroup files open from start-up.

//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

// Command nop exits 0 at once: it is the process of the containers that
// ww-bench starts, so that their runs time the runtime, not the program.
// As "nop stdin" it first reads its standard input to the end: the floor
// of any OCI hook written in Go, which gets the container's state there.
package main

import (
	"io"
	"os"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "stdin" {
		if _, err := io.Copy(io.Discard, os.Stdin); err != nil {
			os.Exit(1)
		}
	}
}
