package main

import (
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
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

// hostSignals are the signals of ww run on the host. Before the child, a
// signal ends ww at once, unless hold was called: a start that has made
// files must remove them first, so from hold on a signal waits, and
// start forks nothing (errHeld); held tells the caller, who undoes what
// it made and calls die.
//
// recorded tells hold that what ww makes from then on is written down
// before it is made (the runtime path's records), so that a death at any
// moment, like a SIGKILL, leaves nothing that is not found and removed
// later: see rawForwarder.hold for what that spares.
type hostSignals interface {
	childSignals
	hold(recorded bool)
	held() syscall.Signal
	die(sig syscall.Signal)
}

// errHeld is start's error when a held signal came before the fork.
var errHeld = errors.New("a signal came before the program started")

// forwarder catches the signals ww forwards with os/signal. Before the
// child exists, a signal ends ww as it would without ww catching it
// (nothing has started, and a signal must not wait to hit a program
// started later), unless the caller holds it (see hostSignals); once
// the child exists, each signal goes to it; after it is gone, none does.
type forwarder struct {
	c     chan os.Signal
	ready chan struct{} // closed once the signals are caught

	mu     sync.Mutex
	state  int // beforeChild, childStarting, childRunning, childDone
	pid    int
	pidfd  int
	caught []os.Signal
	// holding keeps a signal that comes before the child instead of
	// dying of it; early is the first such signal.
	holding bool
	early   syscall.Signal
	// relay, if set, passes each signal to the child in place of send's
	// own delivery.
	relay func(syscall.Signal)
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
func catchSignals(hold bool) *forwarder {
	f := &forwarder{c: make(chan os.Signal, 16), ready: make(chan struct{}), pidfd: -1, holding: hold}
	go func() {
		for _, s := range forwarded() {
			if !signal.Ignored(s) {
				f.caught = append(f.caught, s)
			}
		}
		notifyGuarded(f.c, f.caught)
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
		if f.holding {
			if f.early == 0 {
				f.early = sig
			}
			return
		}
		f.dieLocked(sig)
	case childStarting:
		f.queued = append(f.queued, sig)
	case childRunning:
		f.send(sig)
	}
}

// send passes sig to the running child.
func (f *forwarder) send(sig syscall.Signal) {
	if f.relay != nil {
		f.relay(sig)
		return
	}
	if f.pidfd >= 0 {
		unix.PidfdSendSignal(f.pidfd, sig, nil, 0)
	} else {
		unix.Kill(f.pid, sig)
	}
}

// hold makes a signal before the child wait for the caller. It returns
// once the signals are caught, so that none can end ww after it.
func (f *forwarder) hold(bool) {
	<-f.ready
	f.mu.Lock()
	f.holding = true
	f.mu.Unlock()
}

// held returns the first signal held before the child, or 0. It waits
// for the signals to be caught, so that none can end ww after it said 0.
func (f *forwarder) held() syscall.Signal {
	<-f.ready
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.state != beforeChild {
		return 0
	}
	return f.early
}

// die ends ww by sig, as the signal's default action would have before
// the child started; it does not return.
func (f *forwarder) die(sig syscall.Signal) {
	f.mu.Lock()
	f.dieLocked(sig)
}

func (f *forwarder) dieLocked(sig syscall.Signal) {
	if os.Getpid() == 1 {
		// The init of a pid namespace is not ended by a default
		// action: it exits with the status a shell gives the signal.
		os.Exit(exitSignalsBase + int(sig))
	}
	signal.Reset(f.caught...)
	unix.Kill(os.Getpid(), sig)
	waitForEnd() // the signal, now back at its default, ends ww
}

// waitForEnd waits for the signal that is ending ww.
func waitForEnd() {
	for {
		unix.Pause()
	}
}

// starting marks the moment the child is being started by someone else
// (the runtime's start): from now on a signal is kept for the child, not
// taken as a reason to give up. It returns the signal held before, if
// one was: then nothing is to be started.
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
// meanwhile goes to the child once it exists; a held signal that came
// first means no fork (errHeld). It waits for the signals to be caught
// first: forking while they are being caught would save a quarter of a
// millisecond, but leave a moment in which a signal meant for the
// running child would kill ww instead (a test under load saw it).
func (f *forwarder) start(fork func() (pid, pidfd int, err error)) error {
	<-f.ready
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.early != 0 {
		return errHeld
	}
	pid, pidfd, err := fork()
	if err != nil {
		return err
	}
	f.state, f.pid, f.pidfd = childRunning, pid, pidfd
	return nil
}

// attach starts passing signals to a process that exists already, the
// one starting was called for, through relay; the signals that came
// while it started go first.
func (f *forwarder) attach(relay func(syscall.Signal)) {
	<-f.ready
	f.mu.Lock()
	defer f.mu.Unlock()
	f.state, f.relay = childRunning, relay
	for _, sig := range f.queued {
		f.send(sig)
	}
	f.queued = nil
}

// stop ends forwarding once the child has been waited for; the pidfd is
// then the caller's to close.
func (f *forwarder) stop() {
	f.mu.Lock()
	f.state = childDone
	f.mu.Unlock()
}
