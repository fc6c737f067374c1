package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/cmd/internal/fastpath"
	"github.com/ww-dev/ww/cmd/internal/runcargs"
	"github.com/ww-dev/ww/hook"
)

// passOn is every call but create and run: an exec of the lower runtime,
// except a delete of a container that ww runtime keeps a record of,
// which ww waits for to remove what it made for the container once it is
// gone. Finding out costs one stat.
func passOn(lower string, a *runcargs.Args, args []string) error {
	id := deleteID(a)
	if id == "" {
		return passThrough(lower, args)
	}
	dir := hook.DirFromEnv(os.Environ())
	if !hook.Exists(dir, id, a.Root) {
		return passThrough(lower, args)
	}
	store, err := hook.OpenStore(dir, false)
	if err != nil {
		return passThrough(lower, args)
	}
	rec, err := store.Read(id, a.Root)
	if err != nil {
		return passThrough(lower, args)
	}
	// With the bundle's lock held through the delete, no create of the
	// container can be under way or begin (a create of the ID from
	// another bundle waits for this one's lock in cleanStale): a delete
	// that worked leaves the container gone, and the record read under
	// the lock is the one to clean. A create holding the lock now is
	// waited for afterwards instead (cleanDeleted).
	held := false
	if unlock, ok := tryLockBundle(rec.Bundle); ok {
		if cur, err := store.Read(id, a.Root); err == nil && sameFile(cur.Bundle, rec.Bundle) {
			rec, held = cur, true
			defer unlock()
		} else {
			unlock() // cleanDeleted takes it again, after the delete
		}
	}
	code, err := forkWait(lower, append([]string{lower}, args...), lowerEnv(os.Environ(), lower), nil)
	if err != nil {
		return &exitError{code: exitCannotExec, err: fmt.Errorf("exec %q: %w", lower, err)}
	}
	// runc's delete --force of a container that does not exist works
	// too: only a delete that did not work asks whether it is gone.
	gone := code == 0
	if !gone {
		gone, _ = containerGone(lower, a.Root, id)
	}
	switch {
	case gone && held:
		store.Clean(rec, rec.Created) // best effort: the delete's status counts
	case gone:
		cleanDeleted(store, lower, a.Root, id, rec)
	}
	if code != 0 {
		return &exitError{code: code}
	}
	return nil
}

// cleanDeleted removes what ww made for a container that the lower
// runtime says is gone. A create of it may still be under way, between
// the first write of its record and the lower runtime's create (where
// runc's delete --force of the container works, as it does not exist
// yet): that create holds its bundle's lock until it is done, so wait for
// the lock, then look again, as cleanStale does.
func cleanDeleted(store *hook.Store, lower, root, id string, rec *hook.Record) error {
	locked := rec.Bundle
	unlock, err := lockBundle(locked, bundleLockWait)
	switch {
	case err == nil:
		defer unlock()
		if rec, err = store.Read(id, root); err != nil {
			return err // hook.ErrNoRecord: the create took it back
		}
		if !sameFile(rec.Bundle, locked) {
			// A create of the ID from another bundle took the record
			// over, and holds that bundle, not this one: its record
			// is not this delete's to clean.
			return nil
		}
		if gone, err := containerGone(lower, root, id); err != nil || !gone {
			return err // the create made it: its record stays
		}
	case !errors.Is(err, unix.ENOENT):
		return err
	}
	return store.Clean(rec, rec.Created)
}

// deleteID is the container ID of a delete call, or "" for other calls
// and argv that ww does not read with certainty.
func deleteID(a *runcargs.Args) string {
	if a == nil || a.Command != "delete" || a.Help || a.Version {
		return ""
	}
	return fastpath.DeleteID(a.CommandArgs)
}

// containerGone asks the lower runtime whether container id under root
// exists: gone only when it says so, not on any other error.
func containerGone(lower, root, id string) (bool, error) {
	argv := []string{lower}
	if root != "" {
		argv = append(argv, "--root", root)
	}
	argv = append(argv, "state", id)
	var out []byte
	code, err := forkWait(lower, argv, lowerEnv(os.Environ(), lower), &out)
	if err != nil {
		return false, fmt.Errorf("exec %q: %w", lower, err)
	}
	return code != 0 && bytes.Contains(out, []byte("does not exist")), nil
}

// forkWait runs argv and returns its exit status; with out, its standard
// output and error go there (at most 64 KiB), else they are ww's. Plain
// system calls: it runs where the Go runtime's poller must not start.
//
// The output goes to a memory file that cannot grow past 64 KiB, which
// takes one fd beside the fork's own pipe: a create at the fd limit has
// three left when it cleans up after a container of the same ID
// (cleanStale, before its own fds are open), and a pipe with /dev/null
// as the child's input took five. Where there is no memory file (a
// kernel before 3.17, or a seccomp filter), a pipe it is.
func forkWait(path string, argv, env []string, out *[]byte) (int, error) {
	if out == nil {
		return startWait(path, argv, env, []uintptr{0, 1, 2})
	}
	fd, err := outputFile()
	if err != nil {
		return forkWaitPipe(path, argv, env, out)
	}
	defer unix.Close(fd)
	// Its input is ww's, as a call passed through gets it (state and
	// delete read none).
	code, err := startWait(path, argv, env, []uintptr{0, uintptr(fd), uintptr(fd)})
	if err != nil {
		return 0, err
	}
	// The fds share one offset: the end of what the child wrote.
	n, err := unix.Seek(fd, 0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	buf := make([]byte, min(n, maxOutput))
	m, err := unix.Pread(fd, buf, 0)
	if err != nil {
		return 0, err
	}
	*out = buf[:m]
	return code, nil
}

// maxOutput is the most of a child's output that forkWait keeps.
const maxOutput = 64 << 10

// outputFile is a memory file of maxOutput bytes, sealed against growing.
func outputFile() (int, error) {
	fd, err := unix.MemfdCreate("ww-lower-output", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return -1, err
	}
	if err := unix.Ftruncate(fd, maxOutput); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_GROW|unix.F_SEAL_SHRINK); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// startWait runs argv with files as its standard streams and returns its
// exit status.
func startWait(path string, argv, env []string, files []uintptr) (int, error) {
	pid, err := syscall.ForkExec(path, argv, &syscall.ProcAttr{Env: env, Files: files})
	if err != nil {
		return 0, err
	}
	return waitStatus(pid)
}

// forkWaitPipe is forkWait with out where there is no memory file: the
// output is read through a pipe while the child runs, its input
// /dev/null.
func forkWaitPipe(path string, argv, env []string, out *[]byte) (int, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return 0, err
	}
	defer func() {
		if p[0] >= 0 {
			unix.Close(p[0])
		}
	}()
	null, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(p[1])
		return 0, err
	}
	defer unix.Close(null)
	pid, err := syscall.ForkExec(path, argv, &syscall.ProcAttr{Env: env, Files: []uintptr{uintptr(null), uintptr(p[1]), uintptr(p[1])}})
	unix.Close(p[1])
	if err != nil {
		return 0, err
	}
	buf := make([]byte, maxOutput)
	n := 0
	for n < len(buf) {
		m, err := unix.Read(p[0], buf[n:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if m <= 0 {
			break
		}
		n += m
	}
	*out = buf[:n]
	unix.Close(p[0]) // a child with more to say gets EPIPE, not a hang
	p[0] = -1
	return waitStatus(pid)
}

// waitStatus waits for child pid and returns its exit status, 128+N for
// a child that signal N ended.
func waitStatus(pid int) (int, error) {
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		if !errors.Is(err, syscall.EINTR) {
			if err != nil {
				return 0, err
			}
			break
		}
	}
	if ws.Signaled() {
		return exitSignalsBase + int(ws.Signal()), nil
	}
	return ws.ExitStatus(), nil
}
