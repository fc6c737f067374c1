package fastpath

import (
	"syscall"
	"unsafe"
)

// stat is stat(2) of the NUL-terminated path at p, a plain system call
// (execEarly runs it).
//
//go:norace
func stat(p *byte, st *syscall.Stat_t) syscall.Errno {
	_, _, errno := syscall.RawSyscall6(syscall.SYS_NEWFSTATAT, atFdcwd, uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(st)), 0, 0, 0)
	return errno
}

// lstat is lstat(2) of the NUL-terminated path at p, a plain system call.
//
//go:norace
func lstat(p *byte, st *syscall.Stat_t) syscall.Errno {
	_, _, errno := syscall.RawSyscall6(syscall.SYS_NEWFSTATAT, atFdcwd, uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(st)), atSymlinkNofollow, 0, 0)
	return errno
}
