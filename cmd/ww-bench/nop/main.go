// The same directives as cmd/ww/main.go: the Go runtime would otherwise
// keep cgroup files open from start-up.

//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

// Command nop exits 0 at once: it is the process of the containers that
// ww-bench starts, so that their runs time the runtime, not the program.
package main

func main() {}
