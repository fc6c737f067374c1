// Command sdprobe is a real consumer of the systemd socket-activation
// protocol, through go-systemd's activation package (which checks
// LISTEN_PID). It takes the listener named argv[1], prints "ready ADDR",
// answers one connection with "hello NAME PID" and exits.
package main

import (
	"fmt"
	"os"

	"github.com/coreos/go-systemd/v22/activation"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: sdprobe NAME")
		os.Exit(64)
	}
	name := os.Args[1]
	byName, err := activation.ListenersWithNames()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdprobe:", err)
		os.Exit(1)
	}
	ls := byName[name]
	if len(ls) != 1 {
		fmt.Fprintf(os.Stderr, "sdprobe: %d listeners named %q (LISTEN_PID=%s, pid %d)\n",
			len(ls), name, os.Getenv("LISTEN_PID"), os.Getpid())
		os.Exit(1)
	}
	fmt.Printf("ready %s\n", ls[0].Addr())
	conn, err := ls[0].Accept()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdprobe:", err)
		os.Exit(1)
	}
	fmt.Fprintf(conn, "hello %s %d\n", name, os.Getpid())
	conn.Close()
}
