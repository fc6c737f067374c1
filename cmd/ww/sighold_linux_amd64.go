package main

import (
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// Holding a signal back before the child (see hostSignals): a run that
// creates files (create=, listen:unix:) must not die between making them
// and starting its child, or they would stay behind. From hold to the
// fork, the state is fwdHolding, in which the handler only marks a
// signal pending, as it does while the child starts; the starter then
// finds it (held) instead of forking, and the caller removes the files
// and calls die. A run that makes no file never holds: a signal ends it
// at once, as before.

// hold makes a signal before the child wait for the caller. Unless what
// is made from now on is recorded first, it waits for the Go runtime's
// signal handlers begun before sigForward (waitRuntimeHandlers): such a
// handler ends ww later, as a SIGKILL would. ww run has no records and
// waits; the runtime path, whose records find what a killed create made,
// spares the wait's 65-170 µs of CPU time.
func (rawForwarder) hold(recorded bool) {
	if !recorded {
		waitRuntimeHandlers()
	}
	if !atomic.CompareAndSwapInt64(&fwdState, fwdBefore, fwdHolding) {
		waitForEnd() // a signal is ending ww already
	}
}

// held returns the lowest signal held back that would have ended ww, or
// 0 when none was (or ww is not holding).
func (rawForwarder) held() syscall.Signal {
	if atomic.LoadInt64(&fwdState) != fwdHolding {
		return 0
	}
	if sigs := atomic.LoadUint64(&fwdPending) & fwdFatal; sigs != 0 {
		return lowestSignal(sigs)
	}
	return 0
}

// die ends ww by sig the way the handler does before the child: back in
// state 0, the signal sent again meets the handler, which restores the
// default action and sends it once more (or, in a pid namespace's init,
// exits 128+N). It does not return.
func (rawForwarder) die(sig syscall.Signal) {
	atomic.StoreInt64(&fwdState, fwdBefore)
	unix.Kill(unix.Getpid(), sig)
	waitForEnd()
}

// holdingBeforeFork tells start which state the fork starts from, and
// whether a held signal forbids it. A signal that comes after this
// check, while the child is forked, goes to the child, as one during any
// fork does.
func holdingBeforeFork() (from int64, held bool) {
	if atomic.LoadInt64(&fwdState) != fwdHolding {
		return fwdBefore, false
	}
	return fwdHolding, atomic.LoadUint64(&fwdPending)&fwdFatal != 0
}
