package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

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

// createUnderWay leaves what a create of id from bundle leaves while it
// is under way: its record in the store, naming a socket file at sock
// that is there, and its bundle locked. unlock lets go of the bundle.
func createUnderWay(t *testing.T, s *shim, id, bundle, sock string) (store *hook.Store, unlock func()) {
	t.Helper()
	store, err := hook.OpenStore(stateDir, true)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := hook.Begin(id, s.root, bundle, []hook.File{{Path: sock, Socket: true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Write(rec); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Remove(rec) })
	bindLeft(t, sock)
	lock, err := syscall.Open(bundle, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(lock) })
	if err := syscall.Flock(lock, syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	return store, func() { syscall.Flock(lock, syscall.LOCK_UN) }
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

// TestRuntimeDelete: a delete of a container that ww keeps no record of
// is one exec of the lower runtime (whose parent is then ww's caller, not
// ww); with a record, ww waits for the lower runtime's delete, passes its
// status on, and once the container is gone removes the socket file it
// made and the record: after a delete that worked, and after one that
// failed for a container the lower runtime does not know.
func TestRuntimeDelete(t *testing.T) {
	for _, status := range []int{0, 1} {
		lower := newFakeLower(t, 0)
		r := newRuntimeCall(t, lower)
		id := testID("ww-delete-" + strconv.Itoa(status))
		parentOf := func(l *fakeLower) string {
			t.Helper()
			m, _ := filepath.Glob(filepath.Join(l.dir, "call.*.parent"))
			if len(m) != 1 {
				t.Fatalf("%d calls recorded their parent, want 1", len(m))
			}
			b, _ := os.ReadFile(m[0])
			return strings.TrimSpace(string(b))
		}
		r.env = append(r.env, `WW_FAKE_HOOK=readlink /proc/$PPID/exe > "$n.parent"`)
		if _, code := r.run(t, "delete", "--force", id); code != 0 {
			t.Fatalf("delete without a record: exit %d", code)
		}
		if p := parentOf(lower); p == wwBin {
			t.Errorf("delete without a record: the lower runtime's parent is ww, want one exec")
		}
		sock := filepath.Join(t.TempDir(), "s.sock")
		bundle := fakeBundle(t, map[string]string{"fd.ww.dev/s": "listen:unix:" + sock}, nil)
		if _, code := r.run(t, "create", "--bundle", bundle, id); code != 0 {
			t.Fatalf("create: exit %d: %s", code, r.logLine(t))
		}
		if _, err := os.Lstat(sock); err != nil || !hook.Exists(stateDir, id, "/run/ww-test-fake") {
			t.Fatalf("after create: socket %v, record %v", err, hook.Exists(stateDir, id, "/run/ww-test-fake"))
		}
		failing := newFakeLower(t, status)
		d := newRuntimeCall(t, failing)
		d.env = append(withoutEnv(r.env, "WW_LOWER_RUNTIME="+lower.path), "WW_LOWER_RUNTIME="+failing.path)
		if _, code := d.run(t, "delete", id); code != status {
			t.Errorf("delete with a record: exit %d, want the lower runtime's %d", code, status)
		}
		if p := parentOf(failing); p != wwBin {
			t.Errorf("delete with a record: the lower runtime's parent is %s, want ww", p)
		}
		if _, err := os.Lstat(sock); err == nil {
			t.Errorf("lower status %d: socket file outlived the delete", status)
		}
		if hook.Exists(stateDir, id, "/run/ww-test-fake") {
			t.Errorf("lower status %d: record outlived the delete", status)
		}
	}
}

// withoutEnv is env without the entry kv.
func withoutEnv(env []string, kv string) []string {
	var out []string
	for _, e := range env {
		if e != kv {
			out = append(out, e)
		}
	}
	return out
}

// TestRuntimeRecordInProgress: a create that finds the record of a
// create of the same ID from another bundle still under way (its bundle
// locked: between its record's first write and the lower runtime's
// create, the container does not exist yet) leaves what that record
// names alone until that create lets go of its bundle; then, the
// container not being there, it cleans up as for a stale record.
func TestRuntimeRecordInProgress(t *testing.T) {
	requireRunc(t)
	s := newShim(t, wwBin)
	sock := filepath.Join(t.TempDir(), "s.sock")
	id := testID("ww-busy")
	old := t.TempDir()
	_, unlock := createUnderWay(t, s, id, old, sock)
	bundle := annotated(t, []string{"fds"}, map[string]string{"fd.ww.dev/host": "file:/etc/hostname"})
	done := make(chan int, 1)
	go func() { _, code := s.create(id, bundle, nil); done <- code }()
	time.Sleep(300 * time.Millisecond)
	if _, err := os.Lstat(sock); err != nil {
		t.Fatalf("the socket file of a create under way is gone: %v", err)
	}
	unlock()
	if code := <-done; code != 0 {
		b, _ := os.ReadFile(s.log)
		t.Fatalf("create: exit %d; log %s", code, lastLines(b, 3))
	}
	if _, err := os.Lstat(sock); err == nil {
		t.Error("the stale record's socket file outlived the create that found it")
	}
}

// TestRuntimeDeleteDuringCreate: a delete --force of a container whose
// create is still under way (its record written, its bundle locked, the
// container not made yet, so runc's delete works) leaves what the record
// names alone until that create lets go of its bundle; then, the
// container not being there, it cleans up.
func TestRuntimeDeleteDuringCreate(t *testing.T) {
	requireRunc(t)
	s := newShim(t, wwBin)
	sock := filepath.Join(t.TempDir(), "s.sock")
	id := testID("ww-deleting")
	bundle := t.TempDir()
	store, unlock := createUnderWay(t, s, id, bundle, sock)
	done := make(chan int, 1)
	go func() { _, code := s.run("delete", "--force", id); done <- code }()
	time.Sleep(300 * time.Millisecond)
	if _, err := os.Lstat(sock); err != nil {
		t.Fatalf("a delete removed the socket file of a create under way: %v", err)
	}
	if !store.Has(id, s.root) {
		t.Fatal("a delete removed the record of a create under way")
	}
	unlock()
	if code := <-done; code != 0 {
		b, _ := os.ReadFile(s.log)
		t.Fatalf("delete: exit %d; log %s", code, lastLines(b, 3))
	}
	if _, err := os.Lstat(sock); err == nil {
		t.Error("the socket file outlived the delete, the create being over and the container not there")
	}
	if store.Has(id, s.root) {
		t.Error("the record outlived the delete, the create being over and the container not there")
	}
}

// TestRuntimeDeleteHoldsBundle: a delete of a container with a record,
// its bundle free, holds the bundle through the lower runtime's delete,
// so that a delete that worked is the whole answer: the lower runtime is
// called once (no state to ask whether the container is gone), and the
// socket file and record go. The lower runtime is a script that logs
// each call.
func TestRuntimeDeleteHoldsBundle(t *testing.T) {
	s := &shim{root: filepath.Join(t.TempDir(), "root")}
	dir := t.TempDir()
	sock := filepath.Join(dir, "s.sock")
	id := testID("ww-delete-held")
	bundle := t.TempDir()
	store, unlock := createUnderWay(t, s, id, bundle, sock)
	unlock()
	calls := filepath.Join(dir, "calls")
	if err := deleteWith(t, s.root, id, "echo \"$*\" >> "+calls+"\n"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	b, err := os.ReadFile(calls)
	if err != nil {
		t.Fatal(err)
	}
	if want := "--root " + s.root + " delete --force " + id + "\n"; string(b) != want {
		t.Errorf("lower runtime's calls:\n%s\nwant only\n%s", b, want)
	}
	if _, err := os.Lstat(sock); err == nil {
		t.Error("the socket file outlived the delete")
	}
	if store.Has(id, s.root) {
		t.Error("the record outlived the delete")
	}
}

// TestRuntimeDeleteLeavesTakenOverRecord: while a delete waits for the
// bundle of the record it read, a create of the same ID from another
// bundle takes the record over (the lower runtime's delete, a script,
// puts that create's record in place, as a create's cleanStale would
// once the old container is gone). The delete must leave the new
// record and the socket file it names: they are that create's, which
// holds its own bundle, not the one this delete waited for.
func TestRuntimeDeleteLeavesTakenOverRecord(t *testing.T) {
	s := &shim{root: filepath.Join(t.TempDir(), "root")}
	dir := t.TempDir()
	id := testID("ww-taken-over")
	store, unlock := createUnderWay(t, s, id, t.TempDir(), filepath.Join(dir, "old.sock"))
	// The other create's record, written to a folder of its own first.
	other := filepath.Join(t.TempDir(), "records")
	otherStore, err := hook.OpenStore(other, true)
	if err != nil {
		t.Fatal(err)
	}
	newBundle, newSock := t.TempDir(), filepath.Join(dir, "new.sock")
	rec, err := hook.Begin(id, s.root, newBundle, []hook.File{{Path: newSock, Socket: true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := otherStore.Write(rec); err != nil {
		t.Fatal(err)
	}
	bindLeft(t, newSock)
	name, err := hook.Name(id, s.root)
	if err != nil {
		t.Fatal(err)
	}
	script := "case \" $* \" in\n" +
		"*\" delete \"*) cp -p " + filepath.Join(other, name) + " " + filepath.Join(stateDir, name+".new") +
		" && mv " + filepath.Join(stateDir, name+".new") + " " + filepath.Join(stateDir, name) + "; exit 0 ;;\n" +
		"*\" state \"*) echo \"container does not exist\" >&2; exit 1 ;;\nesac\n"
	done := make(chan error, 1)
	go func() { done <- deleteWith(t, s.root, id, script) }()
	time.Sleep(300 * time.Millisecond)
	unlock()
	if err := <-done; err != nil {
		t.Fatalf("delete: %v", err)
	}
	got, err := store.Read(id, s.root)
	if err != nil || got.Bundle != newBundle {
		t.Errorf("record after the delete: %+v, %v; want the other create's, of %s", got, err, newBundle)
	}
	if _, err := os.Lstat(newSock); err != nil {
		t.Errorf("the other create's socket file was removed: %v", err)
	}
}

// deleteWith runs ww runtime --root root delete --force id with a lower
// runtime that is a shell script of body.
func deleteWith(t *testing.T, root, id, body string) error {
	lower := filepath.Join(t.TempDir(), "lower")
	if err := os.WriteFile(lower, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		return err
	}
	cmd := exec.Command(wwBin, "runtime", "--root", root, "delete", "--force", id)
	cmd.Env = append(os.Environ(), lowerRuntimeEnv+"="+lower)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}
