package fdmgr

import (
	"errors"
	"fmt"
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
	limit := m.first() + len(m.requests)
	for {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			m.closeReserved()
			return fmt.Errorf("reserve fds below %d: %w", limit, err)
		}
		if fd >= limit {
			closeFD(fd)
			return nil
		}
		m.reserved = append(m.reserved, fd)
	}
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
	// another's placement: move it above first.
	for i := range m.fds {
		if m.fds[i].Dup >= limit {
			continue
		}
		moved, err := dupCloexec(m.fds[i].Dup, limit)
		if err != nil {
			return fmt.Errorf("move fd %d: %w", m.fds[i].Dup, err)
		}
		closeFD(m.fds[i].Dup)
		m.fds[i].Dup = moved
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
	err := syscall.Exec(path, argv, env)
	return fmt.Errorf("exec %s: %w", path, err)
}

func dup3(oldfd, newfd int) error {
	for {
		err := unix.Dup3(oldfd, newfd, 0)
		if !errors.Is(err, unix.EINTR) && !errors.Is(err, unix.EBUSY) {
			return err
		}
	}
}
