//go:build linux && !amd64

package fastpath

import "syscall"

// stat is stat(2) of the NUL-terminated path at p. Only Try runs it here,
// with the Go runtime up.
func stat(p *byte, st *syscall.Stat_t) syscall.Errno {
	return errnoOf(syscall.Stat(cString(p), st))
}

// lstat is lstat(2) of the NUL-terminated path at p.
func lstat(p *byte, st *syscall.Stat_t) syscall.Errno {
	return errnoOf(syscall.Lstat(cString(p), st))
}

// errnoOf is err as the system call's error number.
func errnoOf(err error) syscall.Errno {
	switch err := err.(type) {
	case nil:
		return 0
	case syscall.Errno:
		return err
	}
	return syscall.EINVAL
}
