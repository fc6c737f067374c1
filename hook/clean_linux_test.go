package hook

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// identity is the device and inode of path.
func identity(t *testing.T, path string) (uint64, uint64) {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	return uint64(st.Dev), st.Ino
}

func write(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// TestCleanMade: a file ww made is removed while it is that file; one
// that replaced it stays; create= files stay with keepCreated; the record
// goes.
func TestCleanMade(t *testing.T) {
	s := newStore(t)
	dir := t.TempDir()
	made, replaced, kept := filepath.Join(dir, "made"), filepath.Join(dir, "replaced"), filepath.Join(dir, "kept")
	r, err := Begin("c", "", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{made, replaced, kept} {
		write(t, p)
		dev, ino := identity(t, p)
		r.Files = append(r.Files, File{Path: p, Socket: p != kept, Dev: dev, Ino: ino})
	}
	if err := s.Write(r); err != nil {
		t.Fatal(err)
	}
	// Made while the old one lives, the new file has an inode of its own.
	write(t, replaced+".new")
	if err := os.Rename(replaced+".new", replaced); err != nil {
		t.Fatal(err)
	}
	if err := s.Clean(r, true); err != nil {
		t.Fatal(err)
	}
	if exists(made) || !exists(replaced) || !exists(kept) {
		t.Errorf("after Clean: made %v (want gone), replaced %v, kept %v (want both there)", exists(made), exists(replaced), exists(kept))
	}
	if s.Has("c", "") {
		t.Error("record outlived Clean")
	}
	if err := s.Clean(r, false); err != nil { // again: nothing left, no error
		t.Errorf("second Clean: %v", err)
	}
	if exists(replaced) == false {
		t.Error("second Clean removed a file ww did not make")
	}
}

// TestCleanIntended: of paths recorded before opening (a create killed
// before it recorded what it made), a file born after the record was
// begun is removed; one that was there before, or that another record
// holds as made, or of another kind, stays.
func TestCleanIntended(t *testing.T) {
	s := newStore(t)
	dir := t.TempDir()
	before, after, claimed, wrongKind := filepath.Join(dir, "before"), filepath.Join(dir, "after"), filepath.Join(dir, "claimed"), filepath.Join(dir, "kind")
	write(t, before)
	r, err := Begin("c", "", dir, []File{{Path: before}, {Path: after}, {Path: claimed}, {Path: wrongKind, Socket: true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(r); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{after, claimed, wrongKind} {
		write(t, p)
	}
	other, err := Begin("d", "", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	dev, ino := identity(t, claimed)
	other.Files = []File{{Path: claimed, Dev: dev, Ino: ino}}
	if err := s.Write(other); err != nil {
		t.Fatal(err)
	}
	// Another program's half-written file in the store (sed -i's copy) is
	// no record: it claims nothing.
	if err := os.WriteFile(filepath.Join(s.dir, "sedX1b2c3"), []byte(`{"id":`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Clean(r, false); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{before: true, after: false, claimed: true, wrongKind: true} {
		if exists(p) != want {
			t.Errorf("%s: there %v, want %v", filepath.Base(p), exists(p), want)
		}
	}
}

// listenAt binds a unix socket at path and listens on it until the test
// ends.
func listenAt(t *testing.T, path string) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 1); err != nil {
		t.Fatal(err)
	}
}

// TestCleanLiveSocket: a socket file that another process listens on is
// not ww's to remove, even when its device and inode are those recorded
// (a file system that reuses a freed inode gives a later server's socket
// the identity of ww's, gone with its container) or it was born after the
// record was begun; a dead one of the same record goes, and so does a
// live one whose listener the record's own ww runtime made (a lower
// runtime it started may hold it a moment longer).
func TestCleanLiveSocket(t *testing.T) {
	s := newStore(t)
	dir := t.TempDir()
	live, intended, dead := filepath.Join(dir, "live"), filepath.Join(dir, "intended"), filepath.Join(dir, "dead")
	r, err := Begin("c", "", dir, []File{{Path: intended, Socket: true}})
	if err != nil {
		t.Fatal(err)
	}
	r.Pid = os.Getppid() // another process than this one, which listens
	listenAt(t, live)
	listenAt(t, intended)
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: dead}); err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	for _, p := range []string{live, dead} {
		dev, ino := identity(t, p)
		r.Files = append(r.Files, File{Path: p, Socket: true, Dev: dev, Ino: ino})
	}
	if err := s.Write(r); err != nil {
		t.Fatal(err)
	}
	if err := s.Clean(r, false); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{live: true, intended: true, dead: false} {
		if exists(p) != want {
			t.Errorf("%s: there %v, want %v", filepath.Base(p), exists(p), want)
		}
	}
}

// TestCleanOwnLiveSocket: a socket file with the recorded identity whose
// listener the record's ww runtime made goes, though some process still
// holds it.
func TestCleanOwnLiveSocket(t *testing.T) {
	s := newStore(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "s")
	r, err := Begin("c", "", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	listenAt(t, sock)
	dev, ino := identity(t, sock)
	r.Files = []File{{Path: sock, Socket: true, Dev: dev, Ino: ino}}
	if err := s.Clean(r, false); err != nil {
		t.Fatal(err)
	}
	if exists(sock) {
		t.Error("a socket file ww made, listened on by ww's process, outlived Clean")
	}
}

// TestCleanIntendedFolderSwapped: a path recorded before opening is
// looked for in the folder that was at its place when the record was
// begun: a folder that whoever writes its parent replaced since (by a
// symbolic link elsewhere) is not searched, and a file born there stays.
func TestCleanIntendedFolderSwapped(t *testing.T) {
	s := newStore(t)
	dir, elsewhere := t.TempDir(), t.TempDir()
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	r, err := Begin("c", "", dir, []File{{Path: filepath.Join(sub, "x")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(sub, sub+".old"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, sub); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(elsewhere, "x")
	write(t, victim)
	if err := s.Clean(r, false); err != nil {
		t.Fatal(err)
	}
	if !exists(victim) {
		t.Error("Clean removed a file in the folder a symbolic link put in place of the recorded one")
	}
}
