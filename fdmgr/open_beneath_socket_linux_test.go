package fdmgr

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestUnixBeneath connects to and listens on unix sockets confined to
// ROOT/in of beneathFixture: each reaches a socket inside, or fails with
// an error naming the request and saying what happened, and leaves what
// is outside alone.
func TestUnixBeneath(t *testing.T) {
	root, folder := beneathFixture(t)
	p := func(name string) string { return filepath.Join(folder, name) }
	live := rawListener(t, unix.AF_UNIX, &unix.SockaddrUnix{Name: p("live")}, 16)
	rawListener(t, unix.AF_UNIX, &unix.SockaddrUnix{Name: p("full")}, 0)
	openSource(t, "unix:"+p("full")) // fills its backlog of 0
	staleSocket(t, p("stale"))
	out := rawListener(t, unix.AF_UNIX, &unix.SockaddrUnix{Name: filepath.Join(root, "out.sock")}, 16)
	staleSocket(t, filepath.Join(root, "out-stale"))
	for name, target := range map[string]string{"to-out": "../out.sock", "to-out-stale": "../out-stale", "to-live": "live"} {
		if err := os.Symlink(target, p(name)); err != nil {
			t.Fatal(err)
		}
	}
	abstract := fmt.Sprintf("@ww-fdmgr-beneath-%d-%d", os.Getpid(), time.Now().UnixNano())
	abstractL := openSource(t, "listen:unix:"+abstract)
	pid := strconv.Itoa(os.Getpid())
	escapes := "escapes " + folder
	tests := []struct {
		name   string
		text   string // ROOT is the fixture's root, written as is: no cleaning
		folder string // ROOT/in when empty
		accept int    // the listener that must accept the connection, if any
		err    string // the reason, after `"x=SOURCE": `
	}{
		{"unix to a live socket, connected", "unix:ROOT/in/live", "", live, ""},
		{"unix to a symlink inside, connected", "unix:ROOT/in/to-live", "", live, ""},
		{"unix abstract, folder ignored", "unix:" + abstract, "", abstractL, ""},
		{"unix to a symlink out, escapes", "unix:ROOT/in/to-out", "", -1, escapes},
		{"unix .. out, escapes", "unix:ROOT/in/../out.sock", "", -1, escapes},
		{"unix /proc/PID/fd/N, a magic link", "unix:/proc/" + pid + "/fd/" + strconv.Itoa(out), "/proc", -1,
			"connect: too many levels of symbolic links (a loop, or a /proc magic link, which is never followed beneath /proc)"},
		{"unix to a regular file, not a socket", "unix:ROOT/in/f", "", -1, "connect: a regular file, not a socket"},
		{"unix to a folder, not a socket", "unix:ROOT/in/sub", "", -1, "connect: a directory, not a socket"},
		{"unix missing, no such file", "unix:ROOT/in/missing", "", -1, "connect: no such file or directory"},
		{"unix to a stale socket, refused", "unix:ROOT/in/stale", "", -1, "connect: connection refused"},
		{"unix to a full backlog, times out", "unix:ROOT/in/full?timeout=200ms", "", -1,
			"connect: connection timed out after 200ms: the listener's backlog stays full"},

		{"listen at a new name, listening", "listen:unix:ROOT/in/new.sock", "", -1, ""},
		{"listen in a subfolder, listening", "listen:unix:ROOT/in/sub/new.sock", "", -1, ""},
		{"listen over a stale socket, replaced", "listen:unix:ROOT/in/stale", "", -1, ""},
		{"listen abstract, folder ignored", "listen:unix:" + abstract + "-2", "", -1, ""},
		{"listen over a live socket, in use", "listen:unix:ROOT/in/live", "", -1, "bind: address already in use: a live socket listens there"},
		{"listen over a file, in use", "listen:unix:ROOT/in/f", "", -1, "bind: address already in use: a file that is not a socket is there"},
		{"listen over a symlink to a stale socket out, in use", "listen:unix:ROOT/in/to-out-stale", "", -1,
			"bind: address already in use: a file that is not a socket is there"},
		{"listen through a symlinked folder out, escapes", "listen:unix:ROOT/in/dir-out/x.sock", "", -1, escapes},
		{"listen .. out, escapes", "listen:unix:ROOT/in/../x.sock", "", -1, escapes},
		{"listen at .., names a folder", "listen:unix:ROOT/in/sub/..", "", -1, `bind: "sub/.." names a folder, not a file beneath ` + folder},
		{"listen at the folder, names a folder", "listen:unix:ROOT/in/", "", -1, `bind: "." names a folder, not a file beneath ` + folder},
		{"listen in a missing folder, no such file", "listen:unix:ROOT/in/no/x.sock", "", -1, "bind: no such file or directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := strings.ReplaceAll(tc.text, "ROOT", root)
			f := tc.folder
			if f == "" {
				f = folder
			}
			fd, err := openConfined(t, text, f, false)
			if tc.err != "" {
				if want := strconv.Quote("x="+text) + ": " + tc.err; errText(err) != want {
					t.Fatalf("error %q, want %q", errText(err), want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s := confined(t, text, f)
			if s.Kind == SourceUnix {
				checkSocket(t, fd, unix.AF_UNIX, unix.SOCK_STREAM, false)
				acceptPeer(t, tc.accept, fd)
				return
			}
			checkSocket(t, fd, unix.AF_UNIX, unix.SOCK_STREAM, true)
			acceptPeer(t, fd, openSource(t, "unix:"+s.Path)) // reached at its path, unconfined
		})
	}
	if _, err := os.Lstat(filepath.Join(root, "x.sock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a socket was bound outside the folder: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(root, "outdir", "x.sock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a socket was bound outside the folder: %v", err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(root, "out-stale"), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		t.Errorf("the stale socket outside was touched: %v", err)
	}
}

// TestListenBeneathSunPath checks that a socket bound beneath a folder
// must fit in sun_path as /proc/self/fd/N/NAME. Its source is made by hand:
// ParseSource refuses a path longer than sun_path already.
func TestListenBeneathSunPath(t *testing.T) {
	folder := t.TempDir()
	name := strings.Repeat("a", maxUnixPath-len("/proc/self/fd/1/")+1)
	s := Source{Kind: SourceListen, Network: "unix", Path: folder + "/" + name, Beneath: folder, Text: "listen:unix:" + folder + "/" + name}
	fd, err := open(s)
	if err == nil {
		closeFD(fd)
		t.Fatal("a name longer than sun_path was bound")
	}
	want := fmt.Sprintf(`bind: socket name %q is too long to bind beneath a folder: /proc/self/fd/`, name)
	if !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), fmt.Sprintf("more than the %d of sun_path", maxUnixPath)) {
		t.Errorf("error %q, want %q…", err, want)
	}
	if entries, err := os.ReadDir(folder); err != nil || len(entries) != 0 {
		t.Errorf("the folder holds %v, %v", entries, err)
	}
}

// TestPrepareBeneathLeavesNothing checks that when a later source fails,
// the files that confined sources made are removed, through their folder,
// and what was there before is kept.
func TestPrepareBeneathLeavesNothing(t *testing.T) {
	_, folder := beneathFixture(t)
	before, err := os.ReadDir(folder)
	if err != nil {
		t.Fatal(err)
	}
	staleSocket(t, filepath.Join(folder, "stale"))
	m := NewFDManager()
	for name, text := range map[string]string{
		"a": "listen:unix:" + filepath.Join(folder, "a.sock"),
		"b": "file:" + filepath.Join(folder, "sub", "b.log") + "?mode=w&create=0600",
		"c": "file:" + filepath.Join(folder, "f") + "?mode=a&create=0600",
		"d": "listen:unix:" + filepath.Join(folder, "stale"),
		"z": "file:" + filepath.Join(folder, "missing"),
	} {
		if err := m.AddSource(name, confined(t, text, folder)); err != nil {
			t.Fatal(err)
		}
	}
	want := `"z=file:` + filepath.Join(folder, "missing") + `": open: no such file or directory`
	if err := m.PrepareFDs(); errText(err) != want {
		t.Fatalf("PrepareFDs: %v, want %q", err, want)
	}
	after, err := os.ReadDir(folder)
	if err != nil {
		t.Fatal(err)
	}
	if names(after) != names(before) {
		t.Errorf("the folder holds %s, want %s", names(after), names(before))
	}
	if sub, err := os.ReadDir(filepath.Join(folder, "sub")); err != nil || names(sub) != "g" {
		t.Errorf("sub holds %s, %v; want g", names(sub), err)
	}
	checkContent(t, filepath.Join(folder, "f"), "inside")
}

func names(entries []os.DirEntry) string {
	var s []string
	for _, e := range entries {
		s = append(s, e.Name())
	}
	return strings.Join(s, " ")
}

// TestOpenBeneathLeaksNoFD opens confined sources, and fails to open
// others, many times, and counts the fds before and after.
func TestOpenBeneathLeaksNoFD(t *testing.T) {
	root, folder := beneathFixture(t)
	if err := unix.Mkfifo(filepath.Join(folder, "p"), 0o600); err != nil {
		t.Fatal(err)
	}
	rawListener(t, unix.AF_UNIX, &unix.SockaddrUnix{Name: filepath.Join(folder, "live")}, 4096)
	good := []string{"file:ROOT/in/f", "file:ROOT/in/link-in", "file:ROOT/in/new?mode=w&create=0600", "file:ROOT/in/p",
		"file:ROOT/in?dir=true", "listen:unix:ROOT/in/s", "listen:unix:ROOT/in/sub/s", "unix:ROOT/in/live"}
	bad := []string{"file:ROOT/in/../secret", "file:ROOT/in/link-out", "file:ROOT/in/loop", "file:ROOT/in/missing",
		"file:ROOT/in/p?mode=w", "file:ROOT/in", "file:ROOT/in/link-out?mode=w&create=0600", "unix:ROOT/in/f",
		"unix:ROOT/in/link-out", "listen:unix:ROOT/in/f", "listen:unix:ROOT/in/dir-out/s", "listen:unix:ROOT/in/live"}
	round := func() {
		t.Helper()
		for i, text := range append(good, bad...) {
			s := confined(t, strings.ReplaceAll(text, "ROOT", root), folder)
			fd, err := open(s)
			if (err == nil) != (i < len(good)) {
				t.Fatalf("open %q: %v", s.Text, err)
			}
			if err == nil {
				closeFD(fd)
			}
		}
	}
	round()
	before := countFDs(t)
	for range 20 {
		round()
	}
	if after := countFDs(t); after != before {
		t.Errorf("%d fds open before, %d after 20 rounds", before, after)
	}
}
