package main

import (
	"fmt"
	"math/bits"
	"os/signal"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// On linux/amd64 the signals for a forked child are caught by a handler
// of ww's own instead of os/signal. Enabling a signal in os/signal is a
// round trip to a runtime thread, slow on a virtual machine whose idle
// CPUs sleep; installing a handler is one system call.
//
// Measured on 2026-11-30 on a 2-CPU Debian 12 virtual machine (AMD EPYC,
// Linux 6.18, Go 1.26.8): ww run --with-fd x=0 -- /bin/true took a median
// 1.98-2.16 ms with this handler and 2.96-3.19 ms with os/signal forced
// (catchForChild returning catchSignals(false)): a gain of 977-1027 µs,
// 32-33 % of the run with os/signal. Method: ww-bench given the second
// binary as a case, runs in A B B A order, three times 20 rounds of 250
// runs each. Should the gain fall under about 50 µs, drop the handler
// for os/signal everywhere.
//
// The handler and the starter share four words, package variables
// because a signal handler reaches nothing else (a process has one
// disposition per signal, so there is one set of them):
//
//	fwdState    0 before the child, 1 from the fork on, 2 when a signal
//	            is ending ww, 3 once the child is gone, 4 before the
//	            child while a start that made files holds signals back
//	            (see sighold_linux_amd64.go), 5 when os/signal catches
//	            them and the handler only passes each to the Go
//	            runtime's (see sigguard_linux_amd64.go)
//	fwdPending  signals (bit 1<<N) that came from the fork on and are
//	            not yet sent
//	fwdPidfd    the child's pidfd, then fwdPid its pid, once it exists
//
// and two that are set before the handler is installed and only read
// after: fwdFatal and fwdSelf.
//
// Before the child, a signal ends ww as it would without ww (the handler
// resets it to the default and sends it again), except SIGWINCH, whose
// default is to be ignored. The starter moves the state from 0 to 1 with
// a compare-and-swap before it forks, so that exactly one of "ww ends"
// and "the child gets it" happens. From then on a signal is marked
// pending, and whoever clears the mark sends it: the handler once the
// pid is known, or the starter for the signals that came during the fork.
var (
	fwdState   int64
	fwdPending uint64
	fwdPidfd   int64 = -1
	fwdPid     int64
	fwdFatal   uint64 // the signals that end ww before the child
	//lint:ignore U1000 read by sigForward in sigfwd_linux_amd64.s
	fwdSelf int64 // ww's pid
	//lint:ignore U1000 read by sigForward in sigfwd_linux_amd64.s
	fwdDefault kernelSigaction // SIG_DFL
	//lint:ignore U1000 read by sigForward in sigfwd_linux_amd64.s
	fwdRuntime uintptr // the Go runtime's handler, in state 5
)

const (
	fwdBefore = iota
	fwdRunning
	fwdDying
	fwdDone
	fwdHolding
	fwdNotify
)

// The handler, its restorer, and their addresses for rt_sigaction(2),
// all in sigfwd_linux_amd64.s. Only the kernel calls the first two.
//
//lint:ignore U1000 called by the kernel, named by sigForwardAddrs
func sigForward()

//lint:ignore U1000 called by the kernel, named by sigForwardAddrs
func sigReturn()

func sigForwardAddrs() (handler, restorer uintptr)

// rawForwarder forwards signals to a forked child through sigForward.
type rawForwarder struct{}

// catchForChild starts catching the forwarded signals for a child that
// ww forks and waits for, except those ww was started with ignored (see
// catchSignals).
func catchForChild() (hostSignals, error) {
	var caught []unix.Signal
	for _, s := range forwarded() {
		if !signal.Ignored(s) {
			caught = append(caught, s.(unix.Signal))
		}
	}
	// Every thread of the Go runtime starts from the signal mask ww was
	// started with and unblocks only the signals whose default ends the
	// program, so this thread's mask tells for all: a forwarded signal
	// still blocked here would never reach the handler. os/signal
	// unblocks it on a thread of its own.
	var blocked unix.Sigset_t
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, nil, &blocked); err != nil {
		return nil, fmt.Errorf("read the signal mask: %w", err)
	}
	var mask, fatal uint64 // kernel sigset bits (1<<(N-1)); fwdFatal bits (1<<N)
	for _, sig := range caught {
		mask |= 1 << (sig - 1)
		if sig != unix.SIGWINCH {
			fatal |= 1 << sig
		}
	}
	if blocked.Val[0]&mask != 0 {
		return catchSignals(false), nil
	}
	fwdFatal, fwdSelf = fatal, int64(unix.Getpid())
	handler, restorer := sigForwardAddrs()
	act := kernelSigaction{handler: handler, flags: saSiginfo | saRestorer | saOnstack | saRestart, restorer: restorer, mask: mask}
	for _, sig := range caught {
		if _, _, errno := unix.RawSyscall6(sysRtSigaction, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, kernelSigsetSize, 0, 0); errno != 0 {
			return nil, fmt.Errorf("catch %v: %w", unix.SignalName(sig), errno)
		}
	}
	return rawForwarder{}, nil
}

func (rawForwarder) start(fork func() (pid, pidfd int, err error)) error {
	from, held := holdingBeforeFork()
	if held {
		return errHeld
	}
	if !atomic.CompareAndSwapInt64(&fwdState, from, fwdRunning) {
		// A signal is ending ww: it only has to be taken (the handler
		// exits itself where the kernel would not let it end ww).
		waitForEnd()
	}
	pid, pidfd, err := fork()
	if err != nil {
		// No child after all: a signal that came meanwhile ends ww,
		// or waits for the caller to take it if it was holding.
		atomic.StoreInt64(&fwdState, from)
		if from == fwdHolding {
			return err
		}
		if sigs := atomic.SwapUint64(&fwdPending, 0) & fwdFatal; sigs != 0 {
			unix.Kill(unix.Getpid(), lowestSignal(sigs))
		}
		return err
	}
	atomic.StoreInt64(&fwdPidfd, int64(pidfd))
	atomic.StoreInt64(&fwdPid, int64(pid))
	for sigs := atomic.SwapUint64(&fwdPending, 0); sigs != 0; sigs &= sigs - 1 {
		sig := lowestSignal(sigs)
		if pidfd >= 0 {
			unix.PidfdSendSignal(pidfd, sig, nil, 0)
		} else {
			unix.Kill(pid, sig)
		}
	}
	return nil
}

func (rawForwarder) stop() { atomic.StoreInt64(&fwdState, fwdDone) }

// lowestSignal is the signal of the lowest bit set in sigs.
func lowestSignal(sigs uint64) unix.Signal { return unix.Signal(bits.TrailingZeros64(sigs)) }
