package main

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// heldSignals forwards signals to the lower runtime once it runs, and
// holds one that comes before: ww has fds open and files made by then,
// which a signal must not leave behind. It is a childSignals whose start
// refuses to fork once a signal is held.
type heldSignals struct{ f *forwarder }

// holdSignals catches the forwarded signals, holding any that comes
// before the lower runtime starts. It returns once they are caught: what
// ww opens after it is never left behind by one of them.
func holdSignals() heldSignals {
	h := heldSignals{catchSignals(true)}
	<-h.f.ready
	return h
}

// early is the first signal that came before the lower runtime, or 0.
func (h heldSignals) early() syscall.Signal {
	<-h.f.ready
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	return h.f.early
}

func (h heldSignals) start(fork func() (pid, pidfd int, err error)) error {
	f := h.f
	<-f.ready
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.early != 0 {
		return heldSignalError(f.early)
	}
	pid, pidfd, err := fork()
	if err != nil {
		return err
	}
	f.state, f.pid, f.pidfd = childRunning, pid, pidfd
	return nil
}

func (h heldSignals) stop() { h.f.stop() }

// heldError marks a create that a signal ended before the lower runtime
// started.
type heldError struct{ sig syscall.Signal }

func (e *heldError) Error() string {
	return fmt.Sprintf("%s before the lower runtime started: nothing was created", unix.SignalName(e.sig))
}

// heldSignalError is the error of a create that a held signal ended: the
// status a shell gives the signal, and a line in the caller's log, which
// would otherwise say nothing of why the create failed.
func heldSignalError(sig syscall.Signal) error {
	return &exitError{code: exitSignalsBase + int(sig), err: &heldError{sig}}
}
