package main

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// holdSignals catches the forwarded signals for the runtime path, as ww
// run catches them for its child, holding any that comes before the lower
// runtime starts: ww has fds open and files made by then, which a signal
// must not leave behind. It returns once they are caught, so that none
// can end ww after it. What the runtime path makes is in its records
// before it is made (a create killed outright is cleaned up by the
// delete, the poststop hook or the next create of the ID), so the hold
// does not wait for signal handlers of the Go runtime still in flight.
func holdSignals() (hostSignals, error) {
	sigs, err := catchForChild()
	if err != nil {
		return nil, err
	}
	sigs.hold(true)
	return sigs, nil
}

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
