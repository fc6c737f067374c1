package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/fdmgr"
)

// forwarded returns the signals ww passes on to its child.
func forwarded() []os.Signal {
	return []os.Signal{
		unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT,
		unix.SIGUSR1, unix.SIGUSR2, unix.SIGWINCH,
	}
}

// childSignals forwards the caught signals to a child that ww forks:
// start runs the fork, stop ends forwarding once the child is waited for.
type childSignals interface {
	start(fork func() (pid, pidfd int, err error)) error
	stop()
}

// forwarder catches the signals ww forwards. Before the child exists, a
// signal ends ww as it would without ww catching it (nothing has started,
// and a signal must not wait to hit a program started later); once the
// child exists, each signal goes to it; after it is gone, none does.
type forwarder struct {
	c     chan os.Signal
	ready chan struct{} // closed once the signals are caught

	mu     sync.Mutex
	state  int // beforeChild, childStarting, childRunning, childDone
	pid    int
	pidfd  int
	caught []os.Signal
	// holdEarly keeps a signal that comes before the child instead of
	// dying of it, for a caller with something to undo (a created
	// container); early is the first such signal.
	holdEarly bool
	early     syscall.Signal
	// winch, if set, handles SIGWINCH instead of forwarding it.
	winch func()
	// queued are the signals that came while the child was starting.
	queued []syscall.Signal
}

const (
	beforeChild = iota
	childStarting
	childRunning
	childDone
)

// catchSignals starts catching the forwarded signals, except those ww
// was started with ignored that the Go runtime lets it see: SIGHUP
// (nohup) and SIGINT (a shell's background job) stay ignored in the
// child too. The runtime takes over the others at start-up without
// telling whether they were ignored, so those are caught. Enabling a
// signal is a round trip to a runtime thread, a few tenths of a
// millisecond for all of them, so it runs while ww parses and opens; the
// catch is never undone, as ww exits when its child does.
func catchSignals(holdEarly bool) *forwarder {
	f := &forwarder{c: make(chan os.Signal, 16), ready: make(chan struct{}), pidfd: -1, holdEarly: holdEarly}
	go func() {
		for _, s := range forwarded() {
			if !signal.Ignored(s) {
				f.caught = append(f.caught, s)
			}
		}
		signal.Notify(f.c, f.caught...)
		close(f.ready)
		for s := range f.c {
			f.deliver(s.(syscall.Signal))
		}
	}()
	return f
}

func (f *forwarder) deliver(sig syscall.Signal) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch f.state {
	case beforeChild:
		if sig == unix.SIGWINCH {
			return // its default is to be ignored
		}
		if f.holdEarly {
			if f.early == 0 {
				f.early = sig
			}
			return
		}
		if os.Getpid() == 1 {
			// The init of a pid namespace is not ended by a default
			// action: it exits with the status a shell gives the signal.
			os.Exit(exitSignalsBase + int(sig))
		}
		signal.Reset(f.caught...)
		unix.Kill(os.Getpid(), sig)
	case childStarting:
		f.queued = append(f.queued, sig)
	case childRunning:
		f.send(sig)
	}
}

// send passes sig to the running child.
func (f *forwarder) send(sig syscall.Signal) {
	if sig == unix.SIGWINCH && f.winch != nil {
		f.winch()
		return
	}
	if f.pidfd >= 0 {
		unix.PidfdSendSignal(f.pidfd, sig, nil, 0)
	} else {
		unix.Kill(f.pid, sig)
	}
}

// starting marks the moment the child is being started by someone else
// (the runtime's start): from now on a signal is kept for the child, not
// taken as a reason to give up.
func (f *forwarder) starting() syscall.Signal {
	<-f.ready
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.early != 0 {
		return f.early
	}
	f.state = childStarting
	return 0
}

// start runs fork under the forwarder's lock, so that a signal arriving
// meanwhile goes to the child once it exists. It waits for the signals
// to be caught first: forking while they are being caught would save a
// quarter of a millisecond, but leave a moment in which a signal meant
// for the running child would kill ww instead (a test under load saw it).
func (f *forwarder) start(fork func() (pid, pidfd int, err error)) error {
	<-f.ready
	f.mu.Lock()
	defer f.mu.Unlock()
	pid, pidfd, err := fork()
	if err != nil {
		return err
	}
	f.state, f.pid, f.pidfd = childRunning, pid, pidfd
	return nil
}

// attach starts forwarding to a process that exists already, unless a
// held signal came first: then it returns that signal.
func (f *forwarder) attach(pid, pidfd int, winch func()) syscall.Signal {
	<-f.ready
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.early != 0 {
		return f.early
	}
	f.state, f.pid, f.pidfd, f.winch = childRunning, pid, pidfd, winch
	for _, sig := range f.queued {
		f.send(sig)
	}
	f.queued = nil
	return 0
}

// stop ends forwarding once the child has been waited for; the pidfd is
// then the caller's to close.
func (f *forwarder) stop() {
	f.mu.Lock()
	f.state = childDone
	f.mu.Unlock()
}

// startAndWait starts path with the standard streams and m's prepared fds
// at their targets, forwards signals to it, and returns its status as an
// *exitError.
func startAndWait(path string, argv, env []string, m *fdmgr.FDManager, sigs childSignals) error {
	files, cloexecFrom := m.ChildFiles(stdio())
	// Nothing ww inherited or opened may reach the child except the
	// named fds, which it gets at their targets without close-on-exec.
	if err := fdmgr.CloseOnExecFrom(cloexecFrom); err != nil {
		return err
	}
	err := forkAndWait(path, argv, env, files, sigs)
	var fe *forkError
	if errors.As(err, &fe) {
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
// could not be started.
//
// The child gets its own process group. When ww runs in the foreground of
// a terminal, that group becomes the terminal's foreground, so a key such
// as Ctrl-C reaches the child once, from the terminal, and never through
// ww; any signal ww does receive came from kill(2) and is forwarded.
func forkAndWait(path string, argv, env []string, files []uintptr, sigs childSignals) error {
	tty := foregroundTTY()
	pidfd := -1
	// Should ww die (of SIGKILL, say), the child is killed too: nothing
	// is left running that no one waits for. The kernel sends the signal
	// when the thread that forked ends; the Go runtime ends a thread only
	// when a goroutine locked to it exits, which no goroutine of ww does
	// (locking this one would cost a thread hand-off on every run).
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
