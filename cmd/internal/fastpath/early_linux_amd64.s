//go:build !race

#include "go_asm.h"
#include "textflag.h"

// func entry()
//
// The process's first instruction when ww is linked with EntrySymbol (or
// the first after the dynamic loader's, in a build with cgo). The kernel
// leaves argc at 0(SP), the argv pointers after it, then the
// environment's and the auxiliary vector; the Go runtime's entry,
// _rt0_amd64_linux, reads them from there, so entry leaves SP as it
// found it when it jumps there, or one word lower, with the environment
// one entry longer (see addOneProc).
TEXT ·entry(SB),NOSPLIT|NOFRAME|TOPFRAME,$0-0
	// arch_prctl(ARCH_GET_FS, &pre.fs)
	MOVQ	$const_sysArchPrctl, AX
	MOVQ	$const_archGetFS, DI
	LEAQ	·pre+earlyMemory_fs(SB), SI
	SYSCALL
	// pre.tls[0] = &pre.g; arch_prctl(ARCH_SET_FS, &pre.tls[1]): the
	// wrapper Go puts around execEarly loads the goroutine register from
	// -8(FS).
	LEAQ	·pre+earlyMemory_g(SB), AX
	MOVQ	AX, ·pre+earlyMemory_tls(SB)
	MOVQ	$const_sysArchPrctl, AX
	MOVQ	$const_archSetFS, DI
	LEAQ	·pre+earlyMemory_tls+8(SB), SI
	SYSCALL
	MOVQ	0(SP), AX	// argc
	LEAQ	8(SP), BX	// argv
	SUBQ	$16, SP
	MOVQ	AX, 0(SP)
	MOVQ	BX, 8(SP)
	CALL	·execEarly(SB)
	ADDQ	$16, SP
	// arch_prctl(ARCH_SET_FS, pre.fs): FS as the process started. A
	// static Go runtime points FS at its own storage as it starts
	// (runtime·settls); one started by a dynamic loader (cgo) keeps it.
	MOVQ	$0, ·pre+earlyMemory_tls(SB)
	MOVQ	$const_sysArchPrctl, AX
	MOVQ	$const_archSetFS, DI
	MOVQ	·pre+earlyMemory_fs(SB), SI
	SYSCALL
	MOVQ	$0, ·pre+earlyMemory_fs(SB)
	// With pre.shift words to move (argc, the argv pointers, their NULL
	// and the environment's pointers), move them down one word and put
	// &pre.oneProc in the word freed before the environment's NULL, which
	// stays where it is, and the auxiliary vector after it.
	MOVQ	·pre+earlyMemory_shift(SB), CX
	TESTQ	CX, CX
	JZ	start
	MOVQ	SP, SI
	LEAQ	-8(SP), DI
move:
	MOVQ	(SI), AX
	MOVQ	AX, (DI)
	ADDQ	$8, SI
	ADDQ	$8, DI
	DECQ	CX
	JNZ	move
	LEAQ	·pre+earlyMemory_oneProc(SB), AX
	MOVQ	AX, (DI)
	SUBQ	$8, SP
start:
	JMP	_rt0_amd64_linux(SB)
