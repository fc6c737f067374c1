// Command receiver is about the smallest server that takes its socket
// from ww, or from systemd: it answers each connection to the listener
// named "greet" with one line, and closes it.
//
//	ww run --with-fd greet=listen:tcp::8080 -- receiver
//
// make cross builds it for every platform it is checked on, as any program
// that imports fdmgr must build there.
package main

import (
	"fmt"
	"net"
	"os"

	"github.com/ww-dev/ww/fdmgr"
)

func main() {
	err := run()
	fmt.Fprintln(os.Stderr, "receiver:", err)
	os.Exit(1)
}

// run serves until the listener fails: it returns only with an error.
func run() error {
	fds, err := fdmgr.ReceiveEnv(true)
	if err != nil {
		return err
	}
	l, err := listener(fds)
	if err != nil {
		return err
	}
	return serve(l)
}

// listener takes the listener named "greet", and closes every other fd
// that was passed.
func listener(fds *fdmgr.Received) (net.Listener, error) {
	l, err := fds.Listener("greet")
	if err != nil {
		fds.Close()
		return nil, err
	}
	if err := fds.Close(); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// serve greets every connection to l, until l fails or is closed.
func serve(l net.Listener) error {
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(c, "hello from %s\n", c.LocalAddr())
		if cerr := c.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "receiver:", err)
		}
	}
}
