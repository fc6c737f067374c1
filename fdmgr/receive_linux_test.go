package fdmgr

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// passFD turns f into a bare fd as a child receives one: a duplicate
// without close-on-exec, f itself closed. Whoever receives it closes it.
func passFD(t *testing.T, f *os.File) int {
	t.Helper()
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return fd
}

func regularFile(t *testing.T) int {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(path, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return passFD(t, f)
}

func openFile(path string) func(t *testing.T) int {
	return func(t *testing.T) int {
		t.Helper()
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		return passFD(t, f)
	}
}

func pipeEnd(t *testing.T) int {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return passFD(t, r)
}

// socketFile makes a socket with make and passes the fd of its File().
func socketFile[T interface{ File() (*os.File, error) }](make func() (T, error)) func(t *testing.T) int {
	return func(t *testing.T) int {
		t.Helper()
		s, err := make()
		if err != nil {
			t.Fatal(err)
		}
		f, err := s.File()
		if err != nil {
			t.Fatal(err)
		}
		if err := any(s).(io.Closer).Close(); err != nil {
			t.Fatal(err)
		}
		return passFD(t, f)
	}
}

var (
	tcpListener = socketFile(func() (*net.TCPListener, error) {
		return net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	})
	udpSocket = socketFile(func() (*net.UDPConn, error) {
		return net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	})
)

func unixListener(t *testing.T) int {
	t.Helper()
	return socketFile(func() (*net.UnixListener, error) {
		l, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(t.TempDir(), "sock"), Net: "unix"})
		if err == nil {
			l.SetUnlinkOnClose(false) // the received copy still listens there
		}
		return l, err
	})(t)
}

// socketPair passes one end of a connected unix stream pair; the other end
// is returned and closed when the test ends.
func socketPair(t *testing.T) (int, *os.File) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	peer := os.NewFile(uintptr(fds[1]), "peer")
	t.Cleanup(func() { peer.Close() })
	return passFD(t, os.NewFile(uintptr(fds[0]), "end")), peer
}

func receiveFD(t *testing.T, name string, fd int) *Received {
	t.Helper()
	r, err := Receive([]string{EnvName(name) + "=" + strconv.Itoa(fd)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	})
	return r
}

func cloexec(t *testing.T, fd int) bool {
	t.Helper()
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err != nil {
		t.Fatal(err)
	}
	return flags&unix.FD_CLOEXEC != 0
}

// checkAccepts makes a real connection through l and sends a byte over it.
func checkAccepts(t *testing.T, l net.Listener) {
	t.Helper()
	c, err := net.Dial(l.Addr().Network(), l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(a, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
}

func TestReceiveListenerAccepts(t *testing.T) {
	fd := tcpListener(t)
	r := receiveFD(t, "http", fd)
	if !cloexec(t, fd) {
		t.Errorf("fd %d has no close-on-exec after Receive", fd)
	}
	l, err := r.Listener("http")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	checkAccepts(t, l)
	if err := unix.Close(fd); err != unix.EBADF {
		t.Errorf("fd %d received is still open after Listener (close: %v)", fd, err)
	}
}

func TestReceivePacketConnAndConn(t *testing.T) {
	r := receiveFD(t, "dns", udpSocket(t))
	p, err := r.PacketConn("dns")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.WriteTo([]byte("q"), p.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.ReadFrom(make([]byte, 1)); err != nil {
		t.Fatal(err)
	}

	fd, peer := socketPair(t)
	c, err := receiveFD(t, "peer-x", fd).Conn("peer-x")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("p")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(peer, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
}

func TestReceiveFileReads(t *testing.T) {
	f, err := receiveFD(t, "data", regularFile(t)).File("data")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil || string(b) != "data" {
		t.Errorf("read %q, %v; want \"data\"", b, err)
	}
}
