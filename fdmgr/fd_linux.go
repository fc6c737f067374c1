package fdmgr

import (
	"errors"
	"fmt"
	"math"

	"golang.org/x/sys/unix"
)

// dupCloexec duplicates fd at the lowest free number >= min, with
// close-on-exec set, so that the copy never leaks into a program this
// process starts unless it is placed there on purpose.
func dupCloexec(fd, min int) (int, error) {
	return retryEINTR(func() (int, error) { return unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, min) })
}

// CloseOnExecFrom sets close-on-exec on every fd numbered min or more, so
// that no fd this process inherited or opened reaches a program it starts
// except the ones placed there on purpose. Fds are not closed: the Go
// runtime and the caller may still use them.
func CloseOnExecFrom(min int) error {
	err := unix.CloseRange(uint(min), ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("close_range: %w", err)
	}
	return cloexecByList(min)
}

// cloexecByList is the fallback for kernels older than 5.11: it walks
// /proc/self/fd with raw system calls, so that the Go poller is not woken.
func cloexecByList(min int) error {
	fds, err := openFDs()
	if err != nil {
		return err
	}
	for _, fd := range fds {
		if fd < min {
			continue
		}
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil && !errors.Is(err, unix.EBADF) {
			return fmt.Errorf("fd %d: set close-on-exec: %w", fd, err)
		}
	}
	return nil
}

// openFDs lists the fds open in this process, read from /proc/self/fd
// with raw system calls.
func openFDs() ([]int, error) {
	dir, err := unix.Open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /proc/self/fd: %w", err)
	}
	defer unix.Close(dir)
	var fds []int
	buf := make([]byte, 8192)
	for {
		n, err := unix.ReadDirent(dir, buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read /proc/self/fd: %w", err)
		}
		if n <= 0 {
			break
		}
		_, _, names := unix.ParseDirent(buf[:n], -1, nil)
		for _, name := range names {
			fd := 0
			for i := 0; i < len(name); i++ {
				fd = fd*10 + int(name[i]-'0')
			}
			if fd != dir {
				fds = append(fds, fd)
			}
		}
	}
	return fds, nil
}

// inheritable reports whether fd, which this process must hold, is open
// without close-on-exec, so that a program this process execs inherits it.
// It costs what checkOpen costs: one fcntl, made as a raw system call
// (F_GETFD never blocks), which spares the scheduler's bookkeeping a
// quarter of the cost on a run that hands over a thousand fds.
func inheritable(fd int) (bool, error) {
	flags, _, errno := unix.RawSyscall(unix.SYS_FCNTL, uintptr(fd), unix.F_GETFD, 0)
	if errno != 0 {
		return false, checkOpen(fd)
	}
	return flags&unix.FD_CLOEXEC == 0, nil
}

// borrowBelow is the lowest source fd number that Borrow still
// duplicates, for n requests. syscall.ForkExec's child places the fds it
// is given by moving its error pipe, and each fd that sits below its
// target, above the highest fd number it is given; every number it uses
// must stay below the fd limit (RLIMIT_NOFILE), or the fork fails with
// EBADF. A copy, at the lowest free number, leaves the room.
func borrowBelow(n int) int {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil || lim.Cur > math.MaxInt32 {
		return math.MaxInt32
	}
	// The pipe, and at most FirstFD+n moves, above the highest source.
	return int(lim.Cur) - (FirstFD + n + 2)
}
