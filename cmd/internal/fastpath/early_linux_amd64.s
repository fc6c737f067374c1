#include "go_asm.h"
#include "textflag.h"

// func entry()
//
// The process's first instruction when ww is linked with EntrySymbol. The
// kernel leaves argc at 0(SP) and the argv pointers after it; the Go
// runtime's entry, _rt0_amd64_linux, reads them from there, so entry
// leaves SP as it found it when it jumps there.
TEXT ·entry(SB),NOSPLIT|NOFRAME|TOPFRAME,$0-0
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
	// The runtime points FS at its own thread-local storage as it
	// starts (runtime·settls).
	MOVQ	$0, ·pre+earlyMemory_tls(SB)
	JMP	_rt0_amd64_linux(SB)
