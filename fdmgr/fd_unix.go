//go:build unix

package fdmgr

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// checkOpen reports whether fd is open in this process.
func checkOpen(fd int) error {
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
		if errors.Is(err, unix.EBADF) {
			return fmt.Errorf("fd %d is not open", fd)
		}
		return fmt.Errorf("fd %d: %w", fd, err)
	}
	return nil
}

// closeFD closes fd. An interrupted close is not retried: Linux has
// released the fd all the same (POSIX leaves it open), and a retry could
// close an fd that another thread has opened meanwhile.
func closeFD(fd int) error {
	err := unix.Close(fd)
	if errors.Is(err, unix.EINTR) {
		return nil
	}
	return err
}
