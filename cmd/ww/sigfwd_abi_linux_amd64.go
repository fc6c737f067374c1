package main

import "golang.org/x/sys/unix"

// The kernel's numbers and layouts that the signal handler relies on, in
// one place. sigfwd_linux_amd64.s reads them from go_asm.h, which the
// compiler writes from this package (const_NAME for a constant,
// TYPE_FIELD for a field's offset), so the assembly spells none itself;
// sigfwd_abi_linux_amd64_test.go checks each against golang.org/x/sys/unix
// or, where x/sys has no such name, against the running kernel.

// System calls the handler makes.
const (
	sysRtSigaction     = unix.SYS_RT_SIGACTION
	sysRtSigreturn     = unix.SYS_RT_SIGRETURN
	sysKill            = unix.SYS_KILL
	sysExitGroup       = unix.SYS_EXIT_GROUP
	sysPidfdSendSignal = unix.SYS_PIDFD_SEND_SIGNAL
)

// kernelSigsetSize is the size of the kernel's sigset_t on amd64, 64
// signals: rt_sigaction(2) refuses any other. (x/sys's Sigset_t is libc's,
// 128 bytes.)
const kernelSigsetSize = 8

// si_code values that name the sender: kill(2) and tgkill(2) fill in
// si_pid, other codes put something else there. x/sys has neither.
const (
	siUser  = 0
	siTkill = -6
)

// sa_flags of the handler's sigaction; x/sys has none for Linux.
const (
	saSiginfo  = 0x00000004
	saRestorer = 0x04000000
	saOnstack  = 0x08000000
	saRestart  = 0x10000000
)

// kernelSigaction is the kernel's struct sigaction on amd64, which differs
// from libc's in field order and mask size; x/sys has no such type.
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// kernelSiginfo is the start of the kernel's siginfo_t on amd64, as far as
// the handler reads it. x/sys's Siginfo names the first three fields only;
// the union after them is 8-byte aligned on 64-bit machines, as it holds
// pointers, and begins with the sender's pid for kill(2) and tgkill(2).
type kernelSiginfo struct {
	signo int32
	errno int32
	code  int32
	_     int32
	pid   int32 // si_pid
}
