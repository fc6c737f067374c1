package main

import (
	"os"
	"os/signal"
	"unsafe"

	"golang.org/x/sys/unix"
)

// notifyGuarded is signal.Notify(c, sigs...) made safe against a signal
// that comes while it runs. The Go runtime (1.26) races there: a signal
// that nobody is notified of yet makes its handler die of it, which
// first marks the signal unhandled; signal.Notify, seeing the mark, then
// records the handler installed at that moment, the runtime's own, as
// the one to forward to, and the dying handler's raise forwards the
// signal to itself until the signal stack overflows (ww died of SIGSEGV
// when SIGTERM came 0-3 ms after its exec; golang.org/issue/20748 is the
// same race with signal.Ignore). Or the raise meets the handler Notify
// has put back, is queued, and the runtime exits 2.
//
// So while Notify runs, ww's own handler (sigForward, in state 0: a
// signal ends ww by its default action) stands in for the runtime's,
// which Notify then never sees, and the runtime's is put back after. A
// signal that came meanwhile is ending ww: its handler, or the runtime's
// dying one, changed the action, and then ww only waits for the end.
func notifyGuarded(c chan<- os.Signal, sigs []os.Signal) {
	var fatal, mask uint64
	for _, s := range sigs {
		sig := s.(unix.Signal)
		mask |= 1 << (sig - 1)
		if sig != unix.SIGWINCH {
			fatal |= 1 << sig
		}
	}
	fwdFatal, fwdSelf = fatal, int64(unix.Getpid())
	handler, restorer := sigForwardAddrs()
	guard := kernelSigaction{handler: handler, flags: saSiginfo | saRestorer | saOnstack | saRestart, restorer: restorer, mask: mask}
	saved := make([]kernelSigaction, len(sigs))
	for i, s := range sigs {
		if rtSigaction(s.(unix.Signal), &guard, &saved[i]) != nil {
			// Not guarded (rt_sigaction refuses no signal ww
			// forwards): Notify as the runtime has it.
			signal.Notify(c, sigs...)
			return
		}
	}
	signal.Notify(c, sigs...)
	for _, s := range sigs {
		var now kernelSigaction
		if rtSigaction(s.(unix.Signal), nil, &now) != nil || now.handler != handler {
			for {
				unix.Pause() // until the signal ends ww
			}
		}
	}
	for i, s := range sigs {
		rtSigaction(s.(unix.Signal), &saved[i], nil)
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
