package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/fdmgr"
)

// forwarded are the signals ww passes on to its child.
var forwarded = []os.Signal{
	unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT,
	unix.SIGUSR1, unix.SIGUSR2, unix.SIGWINCH,
}

// forwarder catches the signals ww forwards.
type forwarder struct {
	c     chan os.Signal
	ready chan struct{} // closed once the signals are caught
}

// catchSignals starts catching the forwarded signals. Enabling a signal
// is a round trip to a runtime thread, a few tenths of a millisecond for
// all of them, so it runs while ww parses and opens; the catch is never
// undone, as ww exits when its child does.
func catchSignals() *forwarder {
	f := &forwarder{c: make(chan os.Signal, 16), ready: make(chan struct{})}
	go func() {
		signal.Notify(f.c, forwarded...)
		close(f.ready)
	}()
	return f
}

// startAndWait starts path with the standard streams and m's prepared fds
// at their targets, forwards signals to it, and returns its status as an
// *exitError.
//
// The child gets its own process group. When ww runs in the foreground of
// a terminal, that group becomes the terminal's foreground, so a key such
// as Ctrl-C reaches the child once, from the terminal, and never through
// ww; any signal ww does receive came from kill(2) and is forwarded.
func startAndWait(path string, argv, env []string, m *fdmgr.FDManager, sigs *forwarder) error {
	files, cloexecFrom := m.ChildFiles([3]uintptr{stdStream(0), stdStream(1), stdStream(2)})
	// Nothing ww inherited or opened may reach the child except the
	// named fds, which it gets at their targets without close-on-exec.
	if err := fdmgr.CloseOnExecFrom(cloexecFrom); err != nil {
		return err
	}

	// Until the child exists, a signal ends ww as it would without it.
	<-sigs.ready

	tty := foregroundTTY()
	pidfd := -1
	sys := &syscall.SysProcAttr{Setpgid: true, PidFD: &pidfd}
	if tty >= 0 {
		sys.Foreground = true
		sys.Ctty = tty
	}
	pid, err := syscall.ForkExec(path, argv, &syscall.ProcAttr{Env: env, Files: files, Sys: sys})
	if err != nil {
		return startError(path, err)
	}
	defer func() {
		if pidfd >= 0 {
			unix.Close(pidfd)
		}
	}()

	done := make(chan struct{})
	forwarding := make(chan struct{})
	go func() {
		defer close(forwarding)
		forward(sigs.c, done, pid, pidfd)
	}()
	status, err := wait(pid, tty)
	close(done)
	<-forwarding
	if tty >= 0 {
		takeTerminal(tty)
	}
	return status(err)
}

// stdStream returns fd i for the child, or -1 (closed) when ww itself
// has no fd i open.
func stdStream(i int) uintptr {
	if _, err := unix.FcntlInt(uintptr(i), unix.F_GETFD, 0); err != nil {
		return ^uintptr(0)
	}
	return uintptr(i)
}

func startError(path string, err error) error {
	code := exitCannotExec
	if errors.Is(err, unix.ENOENT) {
		code = exitNotFound
	}
	return &exitError{code: code, err: fmt.Errorf("BINARY %q: %w", path, err)}
}

// forward passes each signal ww receives to the child until done. The
// pidfd makes sure a signal never reaches another process that reused the
// child's pid.
func forward(sigs <-chan os.Signal, done <-chan struct{}, pid, pidfd int) {
	for {
		select {
		case <-done:
			return
		case s := <-sigs:
			sig := s.(syscall.Signal)
			if pidfd >= 0 {
				unix.PidfdSendSignal(pidfd, sig, nil, 0)
			} else {
				unix.Kill(pid, sig)
			}
		}
	}
}

// wait waits for the child to end. Under a terminal it also follows job
// control: when the child stops (Ctrl-Z), ww takes the terminal back and
// stops too, so that the shell sees the job stopped; when ww is continued
// it hands the terminal back and continues the child.
func wait(pid, tty int) (func(error) error, error) {
	flags := 0
	if tty >= 0 {
		flags = unix.WUNTRACED
	}
	for {
		var ws unix.WaitStatus
		_, err := unix.Wait4(pid, &ws, flags, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("wait for child %d: %w", pid, err)
		}
		switch {
		case ws.Stopped():
			takeTerminal(tty)
			unix.Kill(os.Getpid(), unix.SIGSTOP)
			if fg, err := unix.IoctlGetInt(tty, unix.TIOCGPGRP); err == nil && fg == unix.Getpgrp() {
				giveTerminal(tty, pid)
			}
			unix.Kill(-pid, unix.SIGCONT)
		case ws.Exited():
			return statusOf(ws.ExitStatus()), nil
		case ws.Signaled():
			return statusOf(exitSignalsBase + int(ws.Signal())), nil
		}
	}
}

func statusOf(code int) func(error) error {
	return func(err error) error {
		if err != nil {
			return err
		}
		if code == 0 {
			return nil
		}
		return &exitError{code: code}
	}
}
