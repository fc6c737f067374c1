package fdmgr

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openSource parses and opens text, checks what every opened fd must be,
// and closes it at the end of the test.
func openSource(t *testing.T, text string) int {
	t.Helper()
	s, err := ParseSource(text)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := open(s)
	if err != nil {
		t.Fatalf("open %q: %v", text, err)
	}
	t.Cleanup(func() { closeFD(fd) })
	checkOpened(t, fd)
	return fd
}

// checkOpened checks that fd is above the standard streams, close-on-exec
// and blocking.
func checkOpened(t *testing.T, fd int) {
	t.Helper()
	if fd < FirstFD {
		t.Errorf("fd %d is below %d", fd, FirstFD)
	}
	if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil || flags&unix.FD_CLOEXEC == 0 {
		t.Errorf("fd %d: F_GETFD %#x, %v; want close-on-exec", fd, flags, err)
	}
	if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err != nil || flags&unix.O_NONBLOCK != 0 {
		t.Errorf("fd %d: F_GETFL %#x, %v; want blocking", fd, flags, err)
	}
}

// openSourceErr opens text, which must fail with exactly want.
func openSourceErr(t *testing.T, text, want string) error {
	t.Helper()
	s, err := ParseSource(text)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := open(s)
	if err == nil {
		closeFD(fd)
		t.Fatalf("open %q succeeded, want error %q", text, want)
	}
	if err.Error() != want {
		t.Fatalf("open %q: error %q, want %q", text, err, want)
	}
	return err
}

// openWithin opens text, and fails the test if that takes longer than d:
// an open must never hang. It returns the error (or closes the fd at the
// end of the test).
func openWithin(t *testing.T, text string, d time.Duration) (int, error) {
	t.Helper()
	s, err := ParseSource(text)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		fd  int
		err error
	}
	done := make(chan result, 1)
	go func() {
		fd, err := open(s)
		done <- result{fd, err}
	}()
	select {
	case r := <-done:
		if r.err == nil {
			t.Cleanup(func() { closeFD(r.fd) })
			checkOpened(t, r.fd)
		}
		return r.fd, r.err
	case <-time.After(d):
		t.Fatalf("open %q: still waiting after %v", text, d)
		return -1, nil
	}
}

func writeFD(t *testing.T, fd int, s string) {
	t.Helper()
	if n, err := unix.Write(fd, []byte(s)); err != nil || n != len(s) {
		t.Fatalf("write %q to fd %d: %d, %v", s, fd, n, err)
	}
}

func readFD(t *testing.T, fd, n int) string {
	t.Helper()
	buf := make([]byte, n)
	got, err := unix.Read(fd, buf)
	if err != nil {
		t.Fatalf("read fd %d: %v", fd, err)
	}
	return string(buf[:got])
}

func checkContent(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s holds %q, want %q", path, got, want)
	}
}

func umask(t *testing.T) uint32 {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "Umask:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			if err != nil {
				t.Fatal(err)
			}
			return uint32(n)
		}
	}
	t.Fatal("no Umask in /proc/self/status")
	return 0
}

func TestOpenFileModes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("hello world"), 0o600); err != nil {
		t.Fatal(err)
	}

	r := openSource(t, "file:"+path)
	if got := readFD(t, r, 64); got != "hello world" {
		t.Errorf("read %q through mode r", got)
	}
	if _, err := unix.Write(r, []byte("x")); !errors.Is(err, unix.EBADF) {
		t.Errorf("write through mode r: %v, want EBADF", err)
	}

	writeFD(t, openSource(t, "file:"+path+"?mode=w"), "HELLO")
	checkContent(t, path, "HELLO world") // not truncated

	writeFD(t, openSource(t, "file:"+path+"?mode=a"), "!")
	checkContent(t, path, "HELLO world!")

	rw := openSource(t, "file:"+path+"?mode=rw")
	if got := readFD(t, rw, 6); got != "HELLO " {
		t.Errorf("read %q through mode rw", got)
	}
	writeFD(t, rw, "WORLD")
	checkContent(t, path, "HELLO WORLD!")

	writeFD(t, openSource(t, "file:"+path+"?mode=w&create=0600"), "J")
	checkContent(t, path, "JELLO WORLD!") // create on an existing file: not truncated
}

func TestOpenFileCreate(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	openSourceErr(t, "file:"+missing, "open: no such file or directory")
	err := openSourceErr(t, "file:"+missing+"?mode=w",
		"open: no such file or directory (the option create=PERM creates it)")
	if !errors.Is(err, unix.ENOENT) {
		t.Errorf("error %v is not ENOENT", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("open without create made the file: %v", err)
	}

	for _, perm := range []uint32{0o640, 0o600, 0o755} {
		path := filepath.Join(dir, "new"+strconv.FormatUint(uint64(perm), 8))
		writeFD(t, openSource(t, "file:"+path+"?mode=a&create=0"+strconv.FormatUint(uint64(perm), 8)), "x")
		var st unix.Stat_t
		if err := unix.Stat(path, &st); err != nil {
			t.Fatal(err)
		}
		if got, want := st.Mode&0o7777, perm&^umask(t); got != want {
			t.Errorf("created %s with permission %#o, want %#o", path, got, want)
		}
		checkContent(t, path, "x")
	}
}

func TestOpenDirectory(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := openSourceErr(t, "file:"+dir, "open: is a directory (the option dir=true opens one)")
	if !errors.Is(err, unix.EISDIR) {
		t.Errorf("error %v is not EISDIR", err)
	}
	openSourceErr(t, "file:"+dir+"?mode=w", "open: is a directory")
	openSourceErr(t, "file:"+file+"?dir=true", "open: not a directory")

	fd := openSource(t, "file:"+dir+"?dir=true")
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		t.Errorf("dir=true gave mode %#o, want a directory", st.Mode)
	}
	// The child can open files relative to it.
	if f, err := unix.Openat(fd, "f", unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
		t.Errorf("openat through the directory fd: %v", err)
	} else {
		closeFD(f)
	}
}

func TestOpenFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := openWithin(t, "file:"+fifo+"?mode=w", 5*time.Second)
	if want := "open: fifo has no reader: no such device or address"; err == nil || err.Error() != want {
		t.Fatalf("open a fifo without reader for writing: %v, want %q", err, want)
	}
	r, err := openWithin(t, "file:"+fifo, 5*time.Second) // no writer yet: must not wait
	if err != nil {
		t.Fatal(err)
	}
	w, err := openWithin(t, "file:"+fifo+"?mode=a", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	writeFD(t, w, "through the fifo")
	if got := readFD(t, r, 64); got != "through the fifo" {
		t.Errorf("read %q from the fifo", got)
	}
}

// TestOpenUnixSocketAsFile checks that a file: source naming a socket
// says so instead of "no such device or address" alone.
func TestOpenUnixSocketAsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s")
	openSource(t, "listen:unix:"+path)
	openSourceErr(t, "file:"+path,
		"open: no such device or address: it is a unix socket (unix:PATH connects to one)")
}

// TestOpenDevice checks a character device, opened with O_NOCTTY and
// O_NONBLOCK, comes out blocking.
func TestOpenDevice(t *testing.T) {
	fd := openSource(t, "file:/dev/zero")
	if got := readFD(t, fd, 4); !bytes.Equal([]byte(got), make([]byte, 4)) {
		t.Errorf("read %q from /dev/zero", got)
	}
}
