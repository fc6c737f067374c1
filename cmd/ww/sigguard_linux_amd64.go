package main

import (
	"os"
	"os/signal"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// notifyGuarded is signal.Notify(c, sigs...) made safe against a signal
// that comes while it runs. The Go runtime (1.26) races there: a signal
// nobody is notified of yet makes the runtime's handler die of it, which
// first marks the signal unhandled; signal.Notify, seeing the mark,
// records the handler installed at that moment, the runtime's own, as
// the one to forward to, and the dying handler's raise then forwards the
// signal to itself until the signal stack overflows: ww died of SIGSEGV
// when SIGTERM came 0-3 ms after its exec (golang.org/issue/20748 is the
// same race with signal.Ignore). Or the raise meets the handler Notify
// put back, is queued instead, and the runtime exits 2.
//
// So ww's own handler, sigForward, is installed first and stays: while
// Notify runs it is in state 0, where a signal ends ww by its default
// action, as the runtime's would but without its marks; then the state
// moves to 5, where it passes each signal on to the runtime's handler.
// The handler that takes a signal during the move either ends ww or
// passes it on, never both, as both compare-and-swap the state from 0.
func notifyGuarded(c chan<- os.Signal, sigs []os.Signal) {
	var fatal uint64
	var goAct kernelSigaction
	for i, s := range sigs {
		sig := s.(unix.Signal)
		if sig != unix.SIGWINCH {
			fatal |= 1 << sig
		}
		var act kernelSigaction
		if rtSigaction(sig, nil, &act) != nil || act.handler <= 1 || i > 0 && act.handler != goAct.handler {
			// Not the runtime's handler (SIG_DFL or SIG_IGN: a
			// signal is ending ww already): nothing to guard.
			signal.Notify(c, sigs...)
			return
		}
		goAct = act
	}
	fwdFatal, fwdSelf, fwdRuntime = fatal, int64(unix.Getpid()), goAct.handler
	handler, restorer := sigForwardAddrs()
	// All signals blocked while it runs, as the runtime's handler has.
	guard := kernelSigaction{handler: handler, flags: saSiginfo | saRestorer | saOnstack | saRestart, restorer: restorer, mask: ^uint64(0)}
	for _, s := range sigs {
		rtSigaction(s.(unix.Signal), &guard, nil)
	}
	signal.Notify(c, sigs...)
	// An action that changed meanwhile was changed by a signal that is
	// ending ww: sigForward's (the default), or the runtime's for a
	// signal that came before the guard (the default, or its handler
	// that Notify put back). Passing signals on now could meet the race.
	for _, s := range sigs {
		var now kernelSigaction
		if rtSigaction(s.(unix.Signal), nil, &now) != nil || now.handler != handler {
			waitForEnd()
		}
	}
	if !atomic.CompareAndSwapInt64(&fwdState, fwdBefore, fwdNotify) {
		waitForEnd() // sigForward is ending ww
	}
}

// rtSigaction is rt_sigaction(2) with the kernel's struct sigaction.
func rtSigaction(sig unix.Signal, act, old *kernelSigaction) error {
	_, _, errno := unix.RawSyscall6(sysRtSigaction, uintptr(sig), uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(old)), kernelSigsetSize, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
