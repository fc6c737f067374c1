#include "go_asm.h"
#include "textflag.h"

// The handler ww installs for the signals it forwards to a forked child
// (see sigfwd_linux_amd64.go for the protocol). The kernel calls it with
// the signal number in DI and its siginfo in SI, on the thread's
// alternate signal stack. It touches nothing of the Go runtime, only the
// fwd* words, and makes only async-signal-safe system calls. The kernel
// keeps every register but AX, CX and R11 across a system call. Every
// number of the kernel's comes from go_asm.h, that is from
// sigfwd_abi_linux_amd64.go, where a test checks it.
TEXT ·sigForward(SB),NOSPLIT|NOFRAME,$0-0
	MOVQ	DI, R8			// R8: the signal
	MOVQ	SI, R12			// R12: its siginfo
	MOVQ	$1, R9
	MOVQ	R8, CX
	SHLQ	CX, R9			// R9: its bit
	MOVQ	·fwdState(SB), AX
	CMPQ	AX, $const_fwdNotify
	JEQ	goHandler
	CMPQ	AX, $const_fwdBefore
	JNE	child

before:
	// No child: a signal whose default is to end the process ends ww
	// (SIGWINCH, ignored by default, is dropped), unless the fork has
	// begun, which the compare-and-swap from 0 tells.
	TESTQ	R9, ·fwdFatal(SB)
	JEQ	done
	MOVQ	$const_fwdBefore, AX
	MOVQ	$const_fwdDying, R10
	LOCK
	CMPXCHGQ	R10, ·fwdState(SB)
	JNE	child			// AX holds the state that won
	MOVQ	R8, DI			// rt_sigaction(sig, &fwdDefault, NULL, 8)
	LEAQ	·fwdDefault(SB), SI
	XORQ	DX, DX
	MOVQ	$const_kernelSigsetSize, R10
	MOVQ	$const_sysRtSigaction, AX
	SYSCALL
	MOVQ	·fwdSelf(SB), DI
	CMPQ	DI, $1
	JEQ	initExit
	MOVQ	R8, SI			// kill(self, sig): blocked on this thread until
	MOVQ	$const_sysKill, AX	// the handler returns, taken by another at once
	SYSCALL
	RET
initExit:
	// The init of a pid namespace is not ended by a default action: it
	// exits with the status a shell gives for the signal.
	LEAQ	const_exitSignalsBase(R8), DI	// exit_group(128+sig)
	MOVQ	$const_sysExitGroup, AX
	SYSCALL

child:
	CMPQ	AX, $const_fwdNotify
	JEQ	goHandler
	CMPQ	AX, $const_fwdRunning
	JEQ	take
	CMPQ	AX, $const_fwdHolding	// marked, for the starter to find
	JNE	done			// ww is ending, or its child is gone
take:
	// A signal ww sent itself is not the child's: the Go runtime sends
	// SIGQUIT to its own threads when it crashes. The sender is known for
	// kill(2) and tgkill(2) only; other codes put something else there.
	MOVL	kernelSiginfo_code(R12), AX
	CMPL	AX, $const_siUser
	JEQ	sender
	CMPL	AX, $const_siTkill
	JNE	mark
sender:
	MOVLQSX	kernelSiginfo_pid(R12), AX
	CMPQ	AX, ·fwdSelf(SB)
	JEQ	done
mark:
	LOCK
	ORQ	R9, ·fwdPending(SB)
	MOVQ	·fwdPid(SB), R10	// the pid is stored after the pidfd
	CMPQ	R10, $0
	JGT	send
	// Not started yet: the starter sends it once it has the pid, unless
	// the fork failed and it went back to 0: then whichever of the two
	// clears the mark ends ww with the signal.
	MOVQ	·fwdState(SB), AX
	CMPQ	AX, $const_fwdBefore
	JNE	done
	LOCK
	BTRQ	R8, ·fwdPending(SB)
	JCC	done
	JMP	before

send:
	MOVQ	·fwdPidfd(SB), DI
	LOCK
	BTRQ	R8, ·fwdPending(SB)
	JCC	done			// the starter sent it already
	CMPQ	DI, $0
	JLT	bypid
	MOVQ	R8, SI			// pidfd_send_signal(pidfd, sig, NULL, 0)
	XORQ	DX, DX
	XORQ	R10, R10
	MOVQ	$const_sysPidfdSendSignal, AX
	SYSCALL
	RET
bypid:
	MOVQ	R10, DI			// kill(pid, sig)
	MOVQ	R8, SI
	MOVQ	$const_sysKill, AX
	SYSCALL
done:
	RET

goHandler:
	// os/signal catches the signal (see notifyGuarded): the Go runtime's
	// handler takes it, with the registers and the frame as the kernel
	// gave them.
	MOVQ	·fwdRuntime(SB), AX
	JMP	AX

// sigReturn is the handler's restorer: it returns from the signal.
TEXT ·sigReturn(SB),NOSPLIT|NOFRAME,$0-0
	MOVQ	$const_sysRtSigreturn, AX	// rt_sigreturn()
	SYSCALL
	INT	$3

// func sigForwardAddrs() (handler, restorer uintptr)
TEXT ·sigForwardAddrs(SB),NOSPLIT,$0-16
	LEAQ	·sigForward(SB), AX
	MOVQ	AX, handler+0(FP)
	LEAQ	·sigReturn(SB), AX
	MOVQ	AX, restorer+8(FP)
	RET
