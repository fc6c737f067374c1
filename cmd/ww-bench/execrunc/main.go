// The same directives as cmd/ww/main.go, so that both pay the same Go
// runtime start-up and the comparison measures only what ww adds.

//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

// Command execrunc is the floor of any Go wrapper of an OCI runtime: it
// replaces itself with the runtime named by its first argument, given
// the rest, and does nothing else. ww-bench compares ww runtime with it.
//
//	execrunc RUNTIME [ARG...]
//
// Built with -ldflags "-X main.lower=PATH", it execs PATH with its own
// arguments instead: a BinaryName for containerd's shim, which passes
// none of its own.
package main

import (
	"fmt"
	"os"
	"syscall"
)

// lower is the runtime to run in place of the first argument, if set.
var lower string

func main() {
	if lower != "" {
		err := syscall.Exec(lower, append([]string{lower}, os.Args[1:]...), os.Environ())
		fmt.Fprintf(os.Stderr, "execrunc: %s: %v\n", lower, err)
		os.Exit(126)
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: execrunc RUNTIME [ARG...]")
		os.Exit(2)
	}
	err := syscall.Exec(os.Args[1], os.Args[1:], os.Environ())
	fmt.Fprintf(os.Stderr, "execrunc: %s: %v\n", os.Args[1], err)
	os.Exit(126)
}
