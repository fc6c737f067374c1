package fdmgr

import (
	"errors"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// rawListener returns a listening socket made without ww's code, so that
// its backlog can be chosen (and filled).
func rawListener(t *testing.T, family int, sa unix.Sockaddr, backlog int) int {
	t.Helper()
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFD(fd) })
	if err := unix.Bind(fd, sa); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		t.Fatal(err)
	}
	return fd
}

// fillTCPBacklog connects to a backlog-0 listener on 127.0.0.1 until a
// connect stays in progress: the kernel then drops every further SYN,
// and the next connect waits. It returns the listener's port, or false
// if connects never wait here.
func fillTCPBacklog(t *testing.T) (string, bool) {
	t.Helper()
	l := rawListener(t, unix.AF_INET, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}, 0)
	port := sockPort(t, l)
	n, _ := strconv.Atoi(port)
	for i := 0; i < 16; i++ {
		c, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { closeFD(c) })
		err = unix.Connect(c, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: n})
		if err == nil {
			continue
		}
		if !errors.Is(err, unix.EINPROGRESS) {
			t.Fatalf("connect: %v", err)
		}
		if ready, _ := unix.Poll([]unix.PollFd{{Fd: int32(c), Events: unix.POLLOUT}}, 300); ready == 0 {
			return port, true
		}
	}
	return "", false
}

func TestOpenConnectTimeoutTCP(t *testing.T) {
	port, ok := fillTCPBacklog(t)
	if !ok {
		t.Skip("connects to a listener with backlog 0 never wait here")
	}
	start := time.Now()
	_, err := openWithin(t, "tcp:127.0.0.1:"+port+"?timeout=300ms", 10*time.Second)
	took := time.Since(start)
	want := "connect 127.0.0.1:" + port + ": connection timed out after 300ms"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	if !errors.Is(err, unix.ETIMEDOUT) {
		t.Errorf("error %v is not ETIMEDOUT", err)
	}
	if took < 300*time.Millisecond || took > 5*time.Second {
		t.Errorf("gave up after %v, want 300ms", took)
	}
}

func TestOpenConnectTimeoutUnix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s")
	l := rawListener(t, unix.AF_UNIX, &unix.SockaddrUnix{Name: path}, 0)
	openSource(t, "unix:"+path) // fills the backlog of 0
	start := time.Now()
	_, err := openWithin(t, "unix:"+path+"?timeout=200ms", 10*time.Second)
	took := time.Since(start)
	want := "connect: connection timed out after 200ms: the listener's backlog stays full"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	if took < 200*time.Millisecond || took > 5*time.Second {
		t.Errorf("gave up after %v, want 200ms", took)
	}

	// Once the listener accepts, a waiting connect goes through.
	go func() {
		time.Sleep(100 * time.Millisecond)
		if nfd, _, err := unix.Accept4(l, unix.SOCK_CLOEXEC); err == nil {
			closeFD(nfd)
		}
	}()
	if _, err := openWithin(t, "unix:"+path+"?timeout=5s", 10*time.Second); err != nil {
		t.Errorf("connect after the backlog freed up: %v", err)
	}
}
