//go:build unix

package main

import (
	"bufio"
	"errors"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/ww-dev/ww/fdmgr"
)

// TestGreet hands the receiver a listening socket as ww would, by name in
// the environment, and checks that a client is greeted on it.
func TestGreet(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fd := dupFD(t, l.(*net.TCPListener))
	fds, err := fdmgr.Receive([]string{"WW_FD_GREET=" + strconv.Itoa(fd)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := listener(fds)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serve(got) }()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if want := "hello from " + l.Addr().String() + "\n"; line != want {
		t.Errorf("greeting %q, want %q", line, want)
	}
	got.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Errorf("serve after Close: %v, want %v", err, net.ErrClosed)
	}
}

// dupFD returns a copy of l's fd that no *os.File owns: the fds a
// program receives are its own to close.
func dupFD(t *testing.T, l *net.TCPListener) int {
	t.Helper()
	f, err := l.File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	return fd
}

// TestListenerMissing checks that a program started without the fd says
// which variable it looked for.
func TestListenerMissing(t *testing.T) {
	fds, err := fdmgr.Receive(nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = listener(fds)
	if err == nil || !strings.Contains(err.Error(), `no fd named "greet": WW_FD_GREET is not set`) {
		t.Errorf("listener without fds: %v", err)
	}
}
