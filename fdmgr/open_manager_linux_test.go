package fdmgr

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// TestPrepareFDsSources prepares sources of several kinds through the
// manager: fds first, then the rest by name, each of the right kind.
func TestPrepareFDsSources(t *testing.T) {
	dir := makeFileFixture(t)
	m := NewFDManager()
	for _, v := range []string{"web=listen:tcp:127.0.0.1:0", "log=file:" + filepath.Join(dir, "f") + "?mode=a",
		"err=2", "sock=listen:unix:" + filepath.Join(dir, "s")} {
		if err := m.ParseFDFlag(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.PrepareFDs(); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	fds := m.FDs()
	var names []string
	for _, fd := range fds {
		names = append(names, fd.Name)
		checkOpened(t, fd.Dup)
	}
	if want := []string{"err", "log", "sock", "web"}; !slices.Equal(names, want) {
		t.Fatalf("landing order %q, want %q", names, want)
	}
	checkSocket(t, fds[2].Dup, unix.AF_UNIX, unix.SOCK_STREAM, true)
	checkSocket(t, fds[3].Dup, unix.AF_INET, unix.SOCK_STREAM, true)
	writeFD(t, fds[1].Dup, "+")
	checkContent(t, filepath.Join(dir, "f"), "data+")
	want := []string{"WW_FD_ERR=3", "WW_FD_LOG=4", "WW_FD_SOCK=5", "WW_FD_WEB=6"}
	if got := m.GenerateEnvVars(); !slices.Equal(got, want) {
		t.Errorf("GenerateEnvVars = %q, want %q", got, want)
	}
}

// TestPrepareFDsSourceError checks that a source that cannot be opened
// is an error naming the request and the system's reason, and that what
// was opened before it is closed.
func TestPrepareFDsSourceError(t *testing.T) {
	dir := makeFileFixture(t)
	closed := rawListener(t, unix.AF_INET, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}, 0)
	port := sockPort(t, closed)
	closeFD(closed)
	before := countFDs(t)
	m := NewFDManager()
	for _, v := range []string{"a=listen:tcp:127.0.0.1:0", "b=file:" + filepath.Join(dir, "f"), "c=1",
		"z=tcp:127.0.0.1:" + port} {
		if err := m.ParseFDFlag(v); err != nil {
			t.Fatal(err)
		}
	}
	err := m.PrepareFDs()
	if want := `"z=tcp:127.0.0.1:` + port + `": connect 127.0.0.1:` + port + `: connection refused`; err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	if after := countFDs(t); after != before {
		t.Errorf("%d fds open before, %d after a failed PrepareFDs", before, after)
	}
}

// TestPrepareFDsRefusedLeavesNothing checks that when a later source
// fails, the files that earlier sources created are removed again, and a
// file that was there before is kept.
func TestPrepareFDsRefusedLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.log")
	if err := os.WriteFile(existing, []byte("keep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := NewFDManager()
	for _, v := range []string{
		"a=listen:unix:" + filepath.Join(dir, "a.sock"),
		"b=file:" + filepath.Join(dir, "b.log") + "?mode=w&create=0600",
		"c=file:" + existing + "?mode=a&create=0600",
		"z=file:" + filepath.Join(dir, "missing", "x"),
	} {
		if err := m.ParseFDFlag(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.PrepareFDs(); err == nil {
		t.Fatal("PrepareFDs succeeded with a missing file")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "existing.log" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("left in the folder: %q, want only existing.log", names)
	}
}
