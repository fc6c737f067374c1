package fdmgr

import (
	"errors"
	"fmt"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// ReserveTargets occupies every free fd number where the requests will
// land with a close-on-exec /dev/null, until PrepareFDs and Exec replace
// them. Call it first, before anything opens an fd, when the fds are to be
// placed in this very process (Exec): whatever is opened meanwhile, by the
// caller or by the Go runtime (its netpoller), then lands above the
// targets and is never overwritten.
func (m *FDManager) ReserveTargets() error {
	first, limit := m.first(), m.first()+len(m.requests)
	low, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("reserve fds %d to %d: %w", first, limit-1, err)
	}
	// The template itself must not sit at a target it would free later.
	null, err := dupCloexec(low, limit)
	closeFD(low)
	if err != nil {
		return fmt.Errorf("reserve fds %d to %d: %w", first, limit-1, err)
	}
	defer closeFD(null)
	for t := first; t < limit; t++ {
		if checkOpen(t) == nil {
			continue // inherited, and replaced when the fds are placed
		}
		// F_DUPFD takes the lowest free number from t up, so it can
		// never close an fd that something else opened meanwhile.
		fd, err := dupCloexec(null, t)
		if err != nil {
			m.closeReserved()
			return fmt.Errorf("reserve fd %d: %w", t, err)
		}
		if fd != t {
			closeFD(fd)
			continue
		}
		m.reserved = append(m.reserved, fd)
	}
	if err := checkNoPoller(first, limit); err != nil {
		m.closeReserved()
		return err
	}
	return nil
}

func (m *FDManager) closeReserved() {
	for _, fd := range m.reserved {
		closeFD(fd)
	}
	m.reserved = nil
}

// ExecOptions tune Exec.
type ExecOptions struct {
	// KeepOthers leaves every fd past the targets as it is, for a
	// wrapper that must pass its caller's fds on untouched; by default
	// they are marked close-on-exec, so the program gets only its named
	// fds and the standard streams.
	KeepOthers bool
}

// Exec places every prepared fd at its target in this process and
// replaces the process with path. Fds below First (a runtime's caller's
// own) are left alone. Exec returns only on failure, with the fds already
// moved: the caller should exit.
func (m *FDManager) Exec(path string, argv, env []string, o ExecOptions) error {
	limit := m.first() + len(m.fds)
	// A copy that sits in the target range would be overwritten by
	// another's placement.
	if err := m.MoveAbove(limit); err != nil {
		return err
	}
	for _, fd := range m.fds {
		// dup3 without O_CLOEXEC: the program gets these.
		if err := dup3(fd.Dup, fd.Target); err != nil {
			return fmt.Errorf("place %s at fd %d: %w", fd.Name, fd.Target, err)
		}
	}
	m.reserved = nil // replaced by the placed fds
	if !o.KeepOthers {
		if err := CloseOnExecFrom(limit); err != nil {
			return err
		}
	}
	return syscall.Exec(path, argv, env)
}

func dup3(oldfd, newfd int) error {
	for {
		err := unix.Dup3(oldfd, newfd, 0)
		if !errors.Is(err, unix.EINTR) && !errors.Is(err, unix.EBUSY) {
			return err
		}
	}
}

// checkNoPoller refuses to place fds when the Go runtime's netpoller
// already sits at a target number: overwriting it would crash the
// runtime. It can only be there if something used the os or net poller
// before ReserveTargets, which the callers avoid; this turns such a
// mistake into an error instead of a crash.
func checkNoPoller(from, limit int) error {
	for fd := from; fd < limit; fd++ {
		target, err := readlinkFD(fd)
		if err != nil {
			continue
		}
		if target == "anon_inode:[eventpoll]" {
			return fmt.Errorf("fd %d, where a named fd must land, holds an epoll instance (the Go runtime's poller?)", fd)
		}
	}
	return nil
}

func readlinkFD(fd int) (string, error) {
	buf := make([]byte, 128)
	n, err := unix.Readlink("/proc/self/fd/"+strconv.Itoa(fd), buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// MoveAbove moves every prepared copy whose number is below low to the
// lowest free number at or above it, for a caller whose fork places the
// fds at targets below low: a copy in that range could be overwritten by
// another's placement. It also moves a copy down to such a number when
// one is free: a fork needs a free number above every fd it places, so
// the copies sit as low as they can, as near the fd limit as a caller
// may have pushed them. A borrowed fd is copied, never moved away from
// its owner.
func (m *FDManager) MoveAbove(low int) error {
	for i := range m.fds {
		fd := &m.fds[i]
		if fd.Dup == low {
			continue
		}
		moved, err := dupCloexec(fd.Dup, low)
		if err != nil {
			if fd.Dup > low {
				continue // no lower number free: it stays where it is
			}
			return fmt.Errorf("move %s (fd %d) above fd %d: %w", fd.Name, fd.Dup, low, err)
		}
		if fd.Dup > low && moved > fd.Dup {
			closeFD(moved) // it already sat as low as it can
			continue
		}
		if !fd.borrowed {
			closeFD(fd.Dup)
		}
		fd.Dup, fd.borrowed = moved, false
	}
	return nil
}
