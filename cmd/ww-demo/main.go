//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

// Command ww-demo shows what a program started by ww received: each named
// fd, what it is, and for a file its first line. make demo runs it.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/ww-dev/ww/fdmgr"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ww-demo:", err)
		os.Exit(1)
	}
}

func run() error {
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, fdmgr.EnvPrefix) || strings.HasPrefix(kv, "LISTEN_") {
			fmt.Println("env  ", kv)
		}
	}
	got, err := fdmgr.ReceiveEnv(true)
	if err != nil {
		return err
	}
	defer got.Close()
	for _, name := range got.Names() {
		fd, err := got.FD(name)
		if err != nil {
			return err
		}
		target, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
		fmt.Printf("fd %d  %-8s %s\n", fd, name, target)
		if l, err := got.Listener(name); err == nil {
			fmt.Printf("      listening on %s\n", l.Addr())
			l.Close()
			continue
		}
		f, err := got.File(name)
		if err != nil {
			return err
		}
		if line, err := bufio.NewReader(f).ReadString('\n'); err == nil {
			fmt.Printf("      first line: %s", line)
		}
		f.Close()
	}
	return nil
}
