package fdmgr

import (
	"errors"
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
	// The listener works on a duplicate; the fd received must be gone.
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); !errors.Is(err, unix.EBADF) {
		t.Errorf("fd %d is still open after Listener (fcntl: %v)", fd, err)
	}
	checkAccepts(t, l)
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

// TestReceiveEnvSystemd starts this test binary again with a listener and
// a file at fds 3 and 4, as systemd and ww --systemd pass them; the child
// learns its own pid only once started, so it sets LISTEN_PID itself.
func TestReceiveEnvSystemd(t *testing.T) {
	if os.Getenv("WW_TEST_RECEIVE_CHILD") == "1" {
		receiveChild(t)
		return
	}
	lf := os.NewFile(uintptr(tcpListener(t)), "http")
	df := os.NewFile(uintptr(regularFile(t)), "data")
	defer lf.Close()
	defer df.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestReceiveEnvSystemd$", "-test.v")
	cmd.Env = Environ(os.Environ(), "WW_TEST_RECEIVE_CHILD=1",
		"LISTEN_FDS=2", "LISTEN_FDNAMES=http:data", "WW_FD_HTTP=3", "WW_FD_DATA=4")
	cmd.ExtraFiles = []*os.File{lf, df}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "receive child done") {
		t.Fatalf("child did not run the test:\n%s", out)
	}
}

func receiveChild(t *testing.T) {
	t.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid()))
	for _, fd := range []int{3, 4} {
		if cloexec(t, fd) {
			t.Fatalf("fd %d arrived with close-on-exec", fd)
		}
	}
	r, err := ReceiveEnv(true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, key := range []string{"WW_FD_HTTP", "WW_FD_DATA", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
		if v, ok := os.LookupEnv(key); ok {
			t.Errorf("%s=%q is still set after ReceiveEnv(true)", key, v)
		}
	}
	if got := r.Names(); !slices.Equal(got, []string{"http", "data"}) {
		t.Errorf("Names() = %q, want [http data]", got)
	}
	for _, fd := range []int{3, 4} {
		if !cloexec(t, fd) {
			t.Errorf("fd %d has no close-on-exec after ReceiveEnv", fd)
		}
	}
	l, err := r.Listener("http")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	checkAccepts(t, l)
	f, err := r.File("data")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if b, err := io.ReadAll(f); err != nil || string(b) != "data" {
		t.Errorf("read %q, %v from data; want \"data\"", b, err)
	}
	fmt.Println("receive child done")
}
