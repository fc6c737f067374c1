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
	growStack()
	os.Exit(exitCode(run(context.Background(), os.Args, os.Stdout, os.Stderr), os.Stderr))
}

// stackFrame is the frame growStack asks for; the stack then has 32 KiB.
const stackFrame = 16 << 10

// growStack grows the main goroutine's stack once, at its shallowest, to
// what a run needs. Left to itself the stack grows by doubling where a
// call first needs more, each time copying the frames then on it and
// looking each one up in the function tables: cold pages of the binary,
// in a process that starts afresh for every call.
//
// Measured with callgrind (Go 1.26.8, 2026-12-01): ww run --with-fd x=0
// -- /bin/true spent 56,000 instructions growing stacks, 27,700 of them
// in one growth of the main goroutine's deep in its start; with
// growStack 37,600, what is left being the Go runtime's own before main
// (and under 1,400 in the fork's pipe read). That extra growth is the
// part of the 2 % that ww run lost since 3453f6e that could be found:
// its instructions, page faults and system calls are otherwise the same.
// ww runtime run with two fds went from 1.19 to 1.00 million
// instructions, with 20 fds from 1.81 to 1.72 million. A larger frame
// costs page faults of its own (24 KiB: about 15 more per run).
// TestGrowStack checks that the frame stays on the stack. Should Go give
// the main goroutine a larger stack from the start, drop this.
//
//go:noinline
func growStack() {
	var frame [stackFrame]byte
	touch(frame[:])
}

// touch keeps growStack's frame from being optimised away.
//
//go:noinline
func touch(b []byte) { b[len(b)-1] = 1 }
