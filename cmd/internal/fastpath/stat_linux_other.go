//go:build linux && !amd64

package fastpath

import "syscall"

// stat is stat(2) of the NUL-terminated path at p. Only Try runs it here,
// with the Go runtime up.
func stat(p *byte, st *syscall.Stat_t) syscall.Errno {
	switch err := syscall.Stat(cString(p), st).(type) {
	case nil:
		return 0
	case syscall.Errno:
		return err
	}
	return syscall.EINVAL
}

// lstat is lstat(2) of the NUL-terminated path at p.
func lstat(p *byte, st *syscall.Stat_t) syscall.Errno {
	switch err := syscall.Lstat(cString(p), st).(type) {
	case nil:
		return 0
	case syscall.Errno:
		return err
	}
	return syscall.EINVAL
}
