package main

import (
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/fdmgr"
)

// startLower is the last part of the runtime path: it starts the lower
// runtime as ww's child with the caller's fds where they are and ww's at
// their targets, forwards signals to it, and returns its status.
//
// The fds are placed by the fork, in the child, never in ww: the Go
// runtime may start its poller at any moment (a timer of the garbage
// collector is enough), and a poller fd overwritten by a placed fd would
// crash ww, while one that sits where an fd must land would make a valid
// config fail. In the child, nothing but the fork's own code runs.
//
// It reports whether the lower runtime was started at all: a signal held
// before it, or a failed exec, means it was not.
func startLower(lower string, argv, env []string, m *fdmgr.FDManager, caller callerFDs, sigs childSignals) (forked bool, err error) {
	files, err := lowerFiles(m, caller)
	if err != nil {
		return false, err
	}
	err = forkAndWait(lower, argv, env, files, sigs)
	var fe *forkError
	var he *heldError
	switch {
	case errors.As(err, &fe):
		code := exitCannotExec
		if errors.Is(fe.err, unix.ENOENT) {
			code = exitNotFound
		}
		return false, &exitError{code: code, err: fmt.Errorf("exec %q: %w", lower, fe.err)}
	case errors.As(err, &he):
		return false, err
	}
	return true, err
}

// lowerFiles is the lower runtime's fd table: the standard streams; the
// caller's fds at 3 to First-1 as they are, except numbers that the
// caller did not pass (closed, or an fd of ww's own, which is
// close-on-exec, where an inherited one cannot be); then ww's fds at
// their targets. Fds past the table that the caller passes without
// close-on-exec reach the lower runtime untouched, as through an exec.
//
// The fork moves an fd whose number is below its target out of the way,
// onto numbers past the table that may be the caller's: ww's copies are
// moved above the table first, so the fork never has to.
func lowerFiles(m *fdmgr.FDManager, caller callerFDs) ([]uintptr, error) {
	first := caller.first()
	limit := first + m.Len()
	files := make([]uintptr, limit)
	for i := range files[:first] {
		files[i] = uintptr(i)
		if i < fdmgr.FirstFD {
			continue
		}
		flags, err := unix.FcntlInt(uintptr(i), unix.F_GETFD, 0)
		if err != nil || flags&unix.FD_CLOEXEC != 0 {
			files[i] = ^uintptr(0)
		}
	}
	if err := m.MoveAbove(limit); err != nil {
		return nil, err
	}
	for _, fd := range m.FDs() {
		files[fd.Target] = uintptr(fd.Dup)
	}
	return files, nil
}

// quietRuntime keeps the Go runtime from starting its poller for the
// rest of ww's life, as it would on the first timer (one of the garbage
// collector's is enough) or *os.File: the poller takes two fds, and when
// the fd table is full at that moment the Go runtime crashes instead of
// returning an error. A caller may pass fds up to the limit; ww then
// needs every free fd it has for its own (the lock, the fds it opens, the
// new config, the fork's pipe). So from here ww opens only with plain
// system calls, waits without timers, and runs without the collector:
// its garbage is bounded by the size of one config (spec.MaxConfigSize),
// and it exits once the lower runtime does.
func quietRuntime() {
	debug.SetGCPercent(-1)
}

// bundleLockWait is how long a create waits for another create or run of
// the same bundle to let go of it. A foreground run holds the bundle
// until its container exits.
const bundleLockWait = 10 * time.Second

// lockBundle takes the bundle's lock: an exclusive flock(2) on its folder,
// held until unlock (and, as a flock, given up by the kernel if ww dies).
// The folder, unlike config.json, is not replaced when the config is
// written.
func lockBundle(bundle string, wait time.Duration) (unlock func(), err error) {
	fd, err := unix.Open(bundle, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("lock bundle %q: %w", bundle, err)
	}
	deadline := time.Now().Add(wait)
	for {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { unix.Close(fd) }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			unix.Close(fd)
			return nil, fmt.Errorf("lock bundle %q: %w", bundle, err)
		}
		if time.Now().After(deadline) {
			unix.Close(fd)
			return nil, fmt.Errorf("bundle %q: another create or run of it holds the bundle (a foreground run holds it until its container exits); gave up after %v", bundle, wait)
		}
		// A sleep without a Go timer: see quietRuntime.
		unix.Nanosleep(&unix.Timespec{Nsec: 5e6}, nil)
	}
}

// openAppend opens a log file for appending, as the lower runtime does.
func openAppend(path string) (int, error) {
	return unix.Open(path, unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
}

func closeRaw(fd int) { unix.Close(fd) }

// rawAppender writes to an fd with plain system calls.
type rawAppender int

func (w rawAppender) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k, err := unix.Write(int(w), p[n:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return n, err
		}
		n += k
	}
	return n, nil
}

// maxLogMessage bounds a logged error: values quoted in it are cut
// already, this is the last guard.
const maxLogMessage = 4 << 10

// quoteShortLines keeps a message to one line of at most maxLogMessage
// bytes.
func quoteShortLines(msg string) string {
	if len(msg) > maxLogMessage {
		msg = msg[:maxLogMessage] + "…"
	}
	return msg
}
