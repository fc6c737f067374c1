package fdmgr

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openConfined opens text, confined to folder, through an FDManager as a
// runtime wrapper does, and fails the test if that takes longer than 5s:
// an open must never hang. It returns the fd, which the manager closes at
// the end of the test, or the error of AddSource or PrepareFDs.
func openConfined(t *testing.T, text, folder string, allowDevice bool) (int, error) {
	t.Helper()
	s := confined(t, text, folder)
	s.AllowDevice = allowDevice
	m := NewFDManager()
	if err := m.AddSource("x", s); err != nil {
		return -1, err
	}
	done := make(chan error, 1)
	go func() { done <- m.PrepareFDs() }()
	select {
	case err := <-done:
		if err != nil {
			return -1, err
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("open %q: still waiting after 5s", text)
	}
	t.Cleanup(func() { m.Close() })
	fd := m.FDs()[0].Dup
	checkOpened(t, fd)
	return fd, nil
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

// TestOpenFileBeneath opens file: sources confined to ROOT/in of
// beneathFixture (or to another folder): each gives what is inside, or an
// error naming the request and saying what happened, never what is
// outside.
func TestOpenFileBeneath(t *testing.T) {
	root, folder := beneathFixture(t)
	if err := os.Symlink("../made-outside", filepath.Join(folder, "link-new")); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(filepath.Join(folder, "p"), 0o600); err != nil {
		t.Fatal(err)
	}
	rawListener(t, unix.AF_UNIX, &unix.SockaddrUnix{Name: filepath.Join(folder, "s")}, 1)
	outside, err := unix.Open(filepath.Join(root, "secret"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFD(outside)
	pid := strconv.Itoa(os.Getpid())
	escapes := "escapes " + folder
	tests := []struct {
		name   string
		path   string // relative to root, or absolute
		query  string
		folder string // ROOT/in when empty
		want   string // what a read gives, "" for a folder or a fifo, when there is no error
		err    string // the reason, after `"x=SOURCE": `
	}{
		{"file, read", "in/f", "", "", "inside", ""},
		{"file in a subfolder, read", "in/sub/g", "", "", "inside", ""},
		{"symlink inside, followed", "in/link-in", "", "", "inside", ""},
		{".. that stays inside, followed", "in/sub/../f", "", "", "inside", ""},
		{"the folder with dir=true, opened", "in", "?dir=true", "", "", ""},
		{"fifo with no writer, opened at once", "in/p", "", "", "", ""},

		{".. out, escapes", "in/../secret", "", "", "", escapes},
		{"/etc/shadow through .., escapes", "in/../../../../../../../../../../etc/shadow", "", "", "", escapes},
		{"relative symlink out, escapes", "in/link-out", "", "", "", escapes},
		{"absolute symlink out, escapes", "in/link-abs", "", "", "", escapes},
		{"symlink to /proc/self/root, escapes", "in/link-proc", "", "", "", escapes},
		{"symlinked folder out, escapes", "in/dir-out/f", "", "", "", escapes},
		{"create through a symlink out, escapes", "in/link-new", "?mode=w&create=0600", "", "", escapes},
		{"/proc/self/root, a magic link", "/proc/self/root" + filepath.Join(root, "secret"), "", "/proc", "",
			"open: too many levels of symbolic links (a loop, or a /proc magic link, which is never followed beneath /proc)"},
		{"/proc/PID/fd/N, a magic link", "/proc/" + pid + "/fd/" + strconv.Itoa(outside), "", "/proc", "",
			"open: too many levels of symbolic links (a loop, or a /proc magic link, which is never followed beneath /proc)"},
		{"sibling sharing the prefix, not beneath", "inx/f", "", "", "", "not beneath " + folder},
		{"symlink loop, a loop", "in/loop", "", "", "",
			"open: too many levels of symbolic links (a loop, or a /proc magic link, which is never followed beneath " + folder + ")"},
		{"missing, no such file", "in/missing", "", "", "", "open: no such file or directory"},
		{"missing for writing, create hint", "in/missing", "?mode=w", "", "", "open: no such file or directory (the option create=PERM creates it)"},
		{"missing subfolder with create, no such file", "in/no/new", "?mode=w&create=0600", "", "", "open: no such file or directory"},
		{"the folder without dir=true, is a directory", "in", "", "", "", "open: is a directory (the option dir=true opens one)"},
		{"the folder for writing, is a directory", "in", "?mode=w", "", "", "open: is a directory"},
		{"a file with dir=true, not a directory", "in/f", "?dir=true", "", "", "open: not a directory"},
		{"fifo for writing with no reader, no reader", "in/p", "?mode=w", "", "", "open: fifo has no reader: no such device or address"},
		{"socket, it is a unix socket", "in/s", "", "", "", "open: no such device or address: it is a unix socket (unix:PATH connects to one)"},
		{"missing folder, named", "/nonexistent/f", "", "/nonexistent", "", "open folder /nonexistent: no such file or directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			if !filepath.IsAbs(path) {
				path = root + "/" + path // as written: no Join, which would clean away the ..
			}
			f := tc.folder
			if f == "" {
				f = folder
			}
			text := "file:" + path + tc.query
			fd, err := openConfined(t, text, f, false)
			if tc.err != "" {
				want := strconv.Quote("x="+text) + ": " + tc.err
				if strings.HasPrefix(tc.err, "not beneath") { // refused before anything is opened
					want = "source " + strconv.Quote(text) + ": " + tc.err
				}
				if errText(err) != want {
					t.Fatalf("error %q, want %q", errText(err), want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != "" {
				if got := readFD(t, fd, 64); got != tc.want {
					t.Errorf("read %q, want %q", got, tc.want)
				}
			}
		})
	}
	if _, err := os.Lstat(filepath.Join(root, "made-outside")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file was made outside the folder: %v", err)
	}
	checkContent(t, filepath.Join(root, "secret"), "outside")
}

// TestOpenFileBeneathWrites checks the modes and create= beneath a folder.
func TestOpenFileBeneathWrites(t *testing.T) {
	_, folder := beneathFixture(t)
	w := filepath.Join(folder, "w")
	if err := os.WriteFile(w, []byte("hello world"), 0o600); err != nil {
		t.Fatal(err)
	}
	open := func(text string) int {
		t.Helper()
		fd, err := openConfined(t, text, folder, false)
		if err != nil {
			t.Fatal(err)
		}
		return fd
	}
	writeFD(t, open("file:"+w+"?mode=w"), "HELLO")
	checkContent(t, w, "HELLO world") // not truncated
	writeFD(t, open("file:"+w+"?mode=a"), "!")
	checkContent(t, w, "HELLO world!")
	rw := open("file:" + w + "?mode=rw")
	if got := readFD(t, rw, 6); got != "HELLO " {
		t.Errorf("read %q through mode rw", got)
	}
	writeFD(t, open("file:"+w+"?mode=w&create=0600"), "J") // there: opened, not made
	checkContent(t, w, "JELLO world!")

	made := filepath.Join(folder, "sub", "made")
	writeFD(t, open("file:"+made+"?mode=a&create=0640"), "x")
	checkContent(t, made, "x")
	var st unix.Stat_t
	if err := unix.Stat(made, &st); err != nil {
		t.Fatal(err)
	}
	if got, want := st.Mode&0o7777, 0o640&^umask(t); got != want {
		t.Errorf("made %s with permission %#o, want %#o", made, got, want)
	}
}

// TestOpenFileBeneathDevice checks that a device node beneath a folder is
// refused before it is opened, unless AllowDevice, and that an unconfined
// source opens one as it always has.
func TestOpenFileBeneathDevice(t *testing.T) {
	needRoot(t)
	_, folder := beneathFixture(t)
	null, loop := filepath.Join(folder, "null"), filepath.Join(folder, "loop0")
	if err := unix.Mknod(null, unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mknod(loop, unix.S_IFBLK|0o600, int(unix.Mkdev(7, 0))); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("null", filepath.Join(folder, "to-null")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, text string
		allow      bool
		err        string
	}{
		{"char device, refused", "file:" + null + "?mode=w", false, "open: a char device, refused beneath " + folder},
		{"block device, refused", "file:" + loop, false, "open: a block device, refused beneath " + folder},
		{"symlink to a device inside, refused", "file:" + filepath.Join(folder, "to-null"), false, "open: a char device, refused beneath " + folder},
		{"char device allowed, opened", "file:" + null + "?mode=w", true, ""},
		{"symlink to a device allowed, opened", "file:" + filepath.Join(folder, "to-null") + "?mode=w", true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fd, err := openConfined(t, tc.text, folder, tc.allow)
			if tc.err != "" {
				if want := strconv.Quote("x="+tc.text) + ": " + tc.err; errText(err) != want {
					t.Fatalf("error %q, want %q", errText(err), want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			writeFD(t, fd, "into /dev/null")
		})
	}
	writeFD(t, openSource(t, "file:"+null+"?mode=w"), "unconfined") // as before
}
