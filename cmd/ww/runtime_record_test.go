package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ww-dev/ww/hook"
)

// bindLeft leaves a unix socket file at path, as a create killed right
// after its bind does.
func bindLeft(t *testing.T, path string) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
}

// TestRuntimeStaleRecord: a create that finds the record of a container
// of the same ID and root that the lower runtime no longer knows (its
// create was killed before it recorded what it made) removes the files
// that record names which ww made, keeps one that was there before, and
// writes its own record; a create of an ID whose container exists is
// refused before anything is made.
func TestRuntimeStaleRecord(t *testing.T) {
	requireRunc(t)
	s := newShim(t, wwBin)
	dir := t.TempDir()
	sock, made, pre := filepath.Join(dir, "s.sock"), filepath.Join(dir, "made.log"), filepath.Join(dir, "pre.log")
	if err := os.WriteFile(pre, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	id := testID("ww-stale")
	old := t.TempDir()
	store, err := hook.OpenStore(stateDir, true)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := hook.Begin(id, s.root, old, []hook.File{{Path: sock, Socket: true}, {Path: made}, {Path: pre}})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Write(rec); err != nil {
		t.Fatal(err)
	}
	bindLeft(t, sock)
	if err := os.WriteFile(made, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	bundle := annotated(t, []string{"fds"}, map[string]string{"fd.ww.dev/host": "file:/etc/hostname"})
	if _, code := s.create(id, bundle, nil); code != 0 {
		b, _ := os.ReadFile(s.log)
		t.Fatalf("create: exit %d; log %s", code, lastLines(b, 3))
	}
	for p, want := range map[string]bool{sock: false, made: false, pre: true} {
		if _, err := os.Lstat(p); (err == nil) != want {
			t.Errorf("%s: there %v, want %v", filepath.Base(p), err == nil, want)
		}
	}
	got, err := store.Read(id, s.root)
	if err != nil || got.Bundle != bundle || !got.Created {
		t.Fatalf("record after the create: %+v, %v; want the new bundle's, created", got, err)
	}
	// The container exists: a second create is refused, its record kept.
	other := annotated(t, []string{"fds"}, map[string]string{"fd.ww.dev/s": "listen:unix:" + sock})
	if _, code := s.create(id, other, nil); code == 0 {
		t.Fatal("a second create of a live container's ID worked")
	}
	b, _ := os.ReadFile(s.log)
	if want := `container \"` + id + `\" exists (`; !strings.Contains(string(b), want) {
		t.Errorf("log %s\nwant it to contain %s", lastLines(b, 2), want)
	}
	if _, err := os.Lstat(sock); err == nil {
		t.Error("a refused create bound its socket")
	}
	if got, err := store.Read(id, s.root); err != nil || got.Bundle != bundle {
		t.Errorf("record after a refused create: %+v, %v", got, err)
	}
	// ww runtime's delete removes the record with the container.
	if _, code := s.run("delete", "--force", id); code != 0 {
		t.Fatalf("delete: exit %d", code)
	}
	if store.Has(id, s.root) {
		t.Error("record outlived ww runtime delete")
	}
}
