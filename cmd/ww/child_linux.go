package main

import (
	"errors"
	"fmt"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/fdmgr"
)

// startAndWait starts path with the standard streams and m's prepared fds
// at their targets, forwards signals to it, and returns its status as an
// *exitError. A start that fails, or that a held signal stops (see
// hostSignals), aborts m: nothing ww made for a program that never ran
// is left.
func startAndWait(path string, argv, env []string, m *fdmgr.FDManager, sigs childSignals) error {
	files, cloexecFrom := m.ChildFiles(stdio())
	// Nothing ww inherited or opened may reach the child except the
	// named fds, which it gets at their targets without close-on-exec.
	if err := fdmgr.CloseOnExecFrom(cloexecFrom); err != nil {
		m.Abort()
		return err
	}
	err := forkAndWait(path, argv, env, files, sigs, nil)
	var fe *forkError
	if errors.As(err, &fe) {
		m.Abort()
		return startError(path, fe.err)
	}
	return err
}

// forkError is forkAndWait's error when the child could not be started.
type forkError struct{ err error }

func (e *forkError) Error() string { return e.err.Error() }
func (e *forkError) Unwrap() error { return e.err }

// forkAndWait starts path with files as its fd table, forwards signals
// to it, and returns its status as an *exitError; a *forkError when it
// could not be started. meanwhile, if not nil, runs once it has started,
// before ww waits for it.
//
// The child gets its own process group. When ww runs in the foreground of
// a terminal, that group becomes the terminal's foreground, so a key such
// as Ctrl-C reaches the child once, from the terminal, and never through
// ww; any signal ww does receive came from kill(2) and is forwarded.
func forkAndWait(path string, argv, env []string, files []uintptr, sigs childSignals, meanwhile func()) error {
	tty := foregroundTTY()
	pidfd := -1
	// Should ww die (of SIGKILL, say), the child is killed too: nothing
	// is left running that no one waits for. The kernel sends the signal
	// when the thread that forked ends; the Go runtime ends a thread only
	// when a goroutine locked to it exits, which no goroutine that forks
	// does (locking this one would cost a thread hand-off on every run;
	// fdmgr's network-namespace thread ends that way, but never forks).
	sys := &syscall.SysProcAttr{Setpgid: true, PidFD: &pidfd, Pdeathsig: unix.SIGKILL}
	if tty >= 0 {
		sys.Foreground = true
		sys.Ctty = tty
	}
	var pid int
	err := sigs.start(func() (int, int, error) {
		var err error
		attr := &syscall.ProcAttr{Env: env, Files: files, Sys: sys}
		pid, err = syscall.ForkExec(path, argv, attr)
		if errors.Is(err, unix.EMFILE) {
			// No fd left for the pidfd, at a caller's fd limit: signals
			// then go by pid, which stays the child's until ww reaps it.
			sys.PidFD, pidfd = nil, -1
			pid, err = syscall.ForkExec(path, argv, attr)
		}
		return pid, pidfd, err
	})
	var ee *exitError
	if errors.As(err, &ee) {
		return err // a signal ended the start
	}
	if err != nil {
		return &forkError{err}
	}
	defer func() {
		if pidfd >= 0 {
			unix.Close(pidfd)
		}
	}()
	if meanwhile != nil {
		meanwhile()
	}
	err = wait(pid, tty)
	sigs.stop()
	if tty >= 0 {
		takeTerminal(tty)
	}
	return err
}

// stdio is the child's standard streams: ww's own. The Go runtime opens
// /dev/null at 0, 1 or 2 before ww runs when ww was started with one
// closed, so all three are always there to pass on.
func stdio() [3]uintptr { return [3]uintptr{0, 1, 2} }

func startError(path string, err error) error {
	code := exitCannotExec
	if errors.Is(err, unix.ENOENT) {
		code = exitNotFound
	}
	return &exitError{code: code, err: fmt.Errorf("BINARY %q: %w", path, err)}
}

// wait waits for the child to end. Under a terminal it also follows job
// control: when the child stops (Ctrl-Z), ww takes the terminal back and
// stops too, so that the shell sees the job stopped; when ww is continued
// it hands the terminal back and continues the child.
func wait(pid, tty int) error {
	flags := 0
	if tty >= 0 {
		flags = unix.WUNTRACED
	}
	for {
		_, ws, err := wait4(pid, flags)
		if err != nil {
			return fmt.Errorf("wait for child %d: %w", pid, err)
		}
		if !ws.Stopped() {
			return exitStatus(ws)
		}
		takeTerminal(tty)
		stopSelf()
		if fg, err := unix.IoctlGetInt(tty, unix.TIOCGPGRP); err == nil && fg == unix.Getpgrp() {
			giveTerminal(tty, pid)
		}
		unix.Kill(-pid, unix.SIGCONT)
	}
}

// stopSelf stops ww (its whole process) and returns once it has been
// continued. The signal goes to the calling thread: one sent to the
// process could be taken by another thread while this one ran on for a
// moment, and read the terminal's owner before the stop instead of after.
func stopSelf() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	unix.Tgkill(unix.Getpid(), unix.Gettid(), unix.SIGSTOP)
}

// wait4 waits for pid (-1: any child) to change state, through EINTR,
// and says which child it was.
func wait4(pid, flags int) (int, unix.WaitStatus, error) {
	for {
		var ws unix.WaitStatus
		wpid, err := unix.Wait4(pid, &ws, flags, nil)
		if !errors.Is(err, unix.EINTR) {
			return wpid, ws, err
		}
	}
}

// exitStatus is ww's status for a child that ended: its exit code, or
// 128+N when signal N ended it; nil for 0.
func exitStatus(ws unix.WaitStatus) error {
	code := ws.ExitStatus()
	if ws.Signaled() {
		code = exitSignalsBase + int(ws.Signal())
	}
	if code == 0 {
		return nil
	}
	return &exitError{code: code}
}
