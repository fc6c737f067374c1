package main

import (
	"errors"
	"fmt"
	"runtime/debug"
	"syscall"

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
// before it, or a failed exec, means it was not. meanwhile, if not nil,
// runs once the lower runtime has started, before ww waits for it.
func startLower(lower string, argv, env []string, m *fdmgr.FDManager, caller callerFDs, sigs hostSignals, meanwhile func()) (forked bool, err error) {
	files, err := lowerFiles(m, caller)
	if err != nil {
		return false, err
	}
	err = forkAndWait(lower, argv, env, files, sigs, meanwhile)
	var fe *forkError
	switch {
	case errors.Is(err, errHeld):
		return false, heldSignalError(sigs.held())
	case errors.As(err, &fe):
		code := exitCannotExec
		if errors.Is(fe.err, unix.ENOENT) {
			code = exitNotFound
		}
		return false, &exitError{code: code, err: fmt.Errorf("exec %q: %w", lower, fe.err)}
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

// pinFDLimit gives the lower runtime ww's own fd limit. The Go runtime
// raises its soft fd limit to the hard one at start and gives a child
// the old one back; a program that sets the limit itself keeps it for its
// children, so that the lower runtime can hold every fd checkFDLimit
// counted.
func pinFDLimit() error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("fd limit: %w", err)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("fd limit: %w", err)
	}
	return nil
}
