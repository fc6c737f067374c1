#include "textflag.h"

// The handler ww installs for the signals it forwards to a forked child
// (see sigfwd_linux_amd64.go for the protocol). The kernel calls it with
// the signal number in DI, on the thread's alternate signal stack; it
// touches nothing of the Go runtime, only the fwd* words, and makes only
// async-signal-safe system calls.
TEXT ·sigForward(SB),NOSPLIT|NOFRAME,$0-0
	MOVQ	DI, R8			// R8: the signal, kept across system calls
	MOVQ	$1, R9
	MOVQ	R8, CX
	SHLQ	CX, R9			// R9: its bit
	MOVQ	·fwdState(SB), AX
	CMPQ	AX, $0
	JNE	child
	// No child yet: a signal whose default is to end the process ends ww
	// (SIGWINCH, which is ignored by default, is dropped), unless the fork
	// has begun, which the compare-and-swap tells.
	TESTQ	R9, ·fwdFatal(SB)
	JEQ	done
	MOVQ	$2, R10
	LOCK
	CMPXCHGQ	R10, ·fwdState(SB)
	JNE	child			// AX holds the state that won
	MOVQ	R8, DI			// rt_sigaction(sig, &fwdDefault, NULL, 8)
	LEAQ	·fwdDefault(SB), SI
	XORQ	DX, DX
	MOVQ	$8, R10
	MOVQ	$13, AX
	SYSCALL
	MOVQ	$39, AX			// getpid()
	SYSCALL
	MOVQ	AX, DI			// kill(pid, sig): blocked on this thread until
	MOVQ	R8, SI			// the handler returns, taken by another at once
	MOVQ	$62, AX
	SYSCALL
	RET
child:
	CMPQ	AX, $1
	JNE	done			// ww is ending, or its child is gone
	LOCK
	ORQ	R9, ·fwdPending(SB)
	MOVQ	·fwdPid(SB), R10	// the pid is stored after the pidfd
	CMPQ	R10, $0
	JLE	done			// not started yet: the starter sends it
	MOVQ	·fwdPidfd(SB), DI
	LOCK
	BTRQ	R8, ·fwdPending(SB)
	JCC	done			// the starter sent it already
	CMPQ	DI, $0
	JLT	bypid
	MOVQ	R8, SI			// pidfd_send_signal(pidfd, sig, NULL, 0)
	XORQ	DX, DX
	XORQ	R10, R10
	MOVQ	$424, AX
	SYSCALL
	RET
bypid:
	MOVQ	R10, DI			// kill(pid, sig)
	MOVQ	R8, SI
	MOVQ	$62, AX
	SYSCALL
done:
	RET

// sigReturn is the handler's restorer: it returns from the signal.
TEXT ·sigReturn(SB),NOSPLIT|NOFRAME,$0-0
	MOVQ	$15, AX			// rt_sigreturn()
	SYSCALL
	INT	$3

// func sigForwardAddrs() (handler, restorer uintptr)
TEXT ·sigForwardAddrs(SB),NOSPLIT,$0-16
	LEAQ	·sigForward(SB), AX
	MOVQ	AX, handler+0(FP)
	LEAQ	·sigReturn(SB), AX
	MOVQ	AX, restorer+8(FP)
	RET
