package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/containerd/console"
	"golang.org/x/sys/unix"
)

// consoleSocket is where the runtime sends the master of the container's
// pseudo terminal when process.terminal is true.
type consoleSocket struct {
	l    *net.UnixListener
	path string
}

func newConsoleSocket(dir string) (*consoleSocket, error) {
	path := filepath.Join(dir, "console.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("console socket: %w", err)
	}
	return &consoleSocket{l: l, path: path}, nil
}

func (c *consoleSocket) Close() error { return c.l.Close() }

// receive takes the one pty master the runtime sends.
func (c *consoleSocket) receive(timeout time.Duration) (console.Console, error) {
	c.l.SetDeadline(time.Now().Add(timeout))
	conn, err := c.l.AcceptUnix()
	if err != nil {
		return nil, fmt.Errorf("console socket: %w", err)
	}
	defer conn.Close()
	oob := make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := conn.ReadMsgUnix(make([]byte, 4096), oob)
	if err != nil {
		return nil, fmt.Errorf("console socket: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, fmt.Errorf("console socket: no terminal was sent")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, fmt.Errorf("console socket: no terminal was sent")
	}
	unix.CloseOnExec(fds[0])
	f := os.NewFile(uintptr(fds[0]), "pty-master")
	con, err := console.ConsoleFromFile(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("console socket: %w", err)
	}
	return con, nil
}

// terminal joins the container's pty to ww's standard streams: raw mode
// and the window size of ww's own terminal, when it has one.
type terminal struct {
	pty     console.Console
	current console.Console // nil when ww's stdin is no terminal
	copied  sync.WaitGroup
}

func attachTerminal(pty console.Console) *terminal {
	t := &terminal{pty: pty}
	if cur, err := console.ConsoleFromFile(os.Stdin); err == nil {
		if err := cur.SetRaw(); err == nil {
			t.current = cur
			t.resize()
		}
	}
	go io.Copy(pty, os.Stdin)
	t.copied.Add(1)
	go func() {
		defer t.copied.Done()
		io.Copy(os.Stdout, pty)
	}()
	return t
}

// resize gives the container's terminal the size of ww's.
func (t *terminal) resize() {
	if t.current != nil {
		t.pty.ResizeFrom(t.current)
	}
}

// close restores ww's terminal after the output has drained; the copy
// ends when the container's side of the pty is closed.
func (t *terminal) close() {
	done := make(chan struct{})
	go func() { t.copied.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	if t.current != nil {
		t.current.Reset()
	}
	t.pty.Close()
}
