package fdmgr

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// makeFileFixture makes, with the os package, the files that
// sourceFixture names: a file f, a directory d and a fifo p.
func makeFileFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(filepath.Join(dir, "p"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// sourceFixture returns sources of every kind that open, and sources
// that fail at open, over the files of makeFileFixture in dir and sockets
// it makes with raw system calls only. Hosts are IP literals.
func sourceFixture(t *testing.T, dir string) (good, bad []string) {
	t.Helper()
	p := func(name string) string { return filepath.Join(dir, name) }
	good = []string{"1", "fd:2",
		"file:" + p("f"), "file:" + p("f") + "?mode=w", "file:" + p("f") + "?mode=a", "file:" + p("f") + "?mode=rw",
		"file:" + p("new") + "?mode=w&create=0600", "file:" + p("d") + "?dir=true", "file:" + p("p"),
		"listen:tcp:127.0.0.1:0", "listen:tcp::0", "listen:udp:127.0.0.1:0", "listen:udp::0",
		"listen:unix:" + p("s"), // stale after its first close: replaced each time
		"listen:unix:@" + strings.ReplaceAll(p("abstract"), "/", "-"),
	}
	bad = []string{"999999", "file:" + p("missing"), "file:" + p("missing") + "?mode=w", "file:" + p("d"),
		"file:" + p("f") + "?dir=true", "file:" + p("p") + "?mode=w", "unix:" + p("missing"), "listen:unix:" + p("f"),
		"listen:unix:" + p("no/s")}

	loopback := &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
	tcp := sockPort(t, rawListener(t, unix.AF_INET, loopback, 1024))
	closed := rawListener(t, unix.AF_INET, loopback, 0)
	closedPort := sockPort(t, closed)
	closeFD(closed)
	live, full := p("live"), p("full")
	rawListener(t, unix.AF_UNIX, &unix.SockaddrUnix{Name: live}, 1024)
	rawListener(t, unix.AF_UNIX, &unix.SockaddrUnix{Name: full}, 0)
	fill, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFD(fill) })
	if err := unix.Connect(fill, &unix.SockaddrUnix{Name: full}); err != nil {
		t.Fatal(err)
	}
	good = append(good, "tcp:127.0.0.1:"+tcp, "unix:"+live)
	bad = append(bad, "tcp:127.0.0.1:"+closedPort, "listen:tcp:127.0.0.1:"+tcp, "listen:unix:"+live,
		"unix:"+full+"?timeout=20ms")
	if port, ok := fillTCPBacklog(t); ok {
		bad = append(bad, "tcp:127.0.0.1:"+port+"?timeout=20ms")
	}
	if fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0); err == nil {
		closeFD(fd)
		good = append(good, "listen:tcp6::0", "listen:udp6::0")
	}
	return good, bad
}

// TestOpenLeaksNoFD opens and closes every kind of source, and fails to
// open every kind of bad one, many times, and counts /proc/self/fd before
// and after.
func TestOpenLeaksNoFD(t *testing.T) {
	good, bad := sourceFixture(t, makeFileFixture(t))
	good = append(good, "listen:tcp:localhost:0")
	bad = append(bad, "tcp:no-such-host.invalid:1?timeout=2s")
	round := func() {
		t.Helper()
		for _, text := range good {
			fd, err := open(mustParseSource(t, text))
			if err != nil {
				t.Fatalf("open %q: %v", text, err)
			}
			closeFD(fd)
		}
		for _, text := range bad {
			if fd, err := open(mustParseSource(t, text)); err == nil {
				closeFD(fd)
				t.Fatalf("open %q succeeded", text)
			}
		}
	}
	round() // the first lookup of a host name may start the runtime's poller
	before := countFDs(t)
	for i := 0; i < 20; i++ {
		round()
	}
	if after := countFDs(t); after != before {
		t.Errorf("%d fds open before, %d after 20 rounds", before, after)
	}
}

func mustParseSource(t *testing.T, text string) Source {
	t.Helper()
	s, err := ParseSource(text)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// noPollerEnv switches the test binary into the child of
// TestOpenStartsNoPoller, naming the fixture directory.
const noPollerEnv = "FDMGR_TEST_NO_POLLER_DIR"

// TestOpenStartsNoPoller checks, in a fresh process, that opening sources
// of every kind (IP literals only) never creates the Go runtime's epoll
// fd, and that with fd 0 closed every source still lands at 3 or more.
func TestOpenStartsNoPoller(t *testing.T) {
	if dir := os.Getenv(noPollerEnv); dir != "" {
		noPollerChild(t, dir)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestOpenStartsNoPoller$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), noPollerEnv+"="+makeFileFixture(t))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestOpenStartsNoPoller") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	t.Logf("child:\n%s", out)
	// The probe must see a poller where there is one, or the child's
	// pass means nothing.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if eventpollFD(t) < 0 {
		t.Fatal("no eventpoll fd found in a process that has a poller")
	}
}

func noPollerChild(t *testing.T, dir string) {
	if fd := eventpollFD(t); fd >= 0 {
		t.Fatalf("eventpoll at fd %d before any source was opened", fd)
	}
	good, bad := sourceFixture(t, dir)
	if fd := eventpollFD(t); fd >= 0 {
		t.Fatalf("eventpoll at fd %d after the fixture was made", fd)
	}
	// The kernel now hands out 0 first.
	if err := unix.Close(0); err != nil {
		t.Fatal(err)
	}
	for i, text := range append(good, bad...) {
		fd, err := open(mustParseSource(t, text))
		switch {
		case err == nil && fd < FirstFD:
			t.Errorf("open %q gave fd %d", text, fd)
		case err != nil && i < len(good):
			t.Errorf("open %q: %v", text, err)
		}
		if err == nil {
			closeFD(fd)
		}
		if fd := eventpollFD(t); fd >= 0 {
			t.Fatalf("eventpoll at fd %d after open %q", fd, text)
		}
		if checkOpen(0) == nil {
			t.Fatalf("fd 0 is open after open %q", text)
		}
	}
	t.Logf("opened %d sources and failed %d, no poller", len(good), len(bad))
}

// eventpollFD returns an fd of this process that is an epoll instance,
// or -1; it reads /proc/self/fd with raw system calls only.
func eventpollFD(t *testing.T) int {
	t.Helper()
	fds, err := openFDs()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 256)
	for _, fd := range fds {
		n, err := unix.Readlink("/proc/self/fd/"+strconv.Itoa(fd), buf)
		if err == nil && string(buf[:n]) == "anon_inode:[eventpoll]" {
			return fd
		}
	}
	return -1
}
