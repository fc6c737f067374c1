package fdmgr

// Every source is opened with raw system calls from x/sys/unix, never with
// os.Open or the net package: ww may place the fds at 3, 4, … in its own
// process (Exec), and the Go runtime's poller, started by the first
// pollable os.File or net.Conn, would hold an fd of its own that a
// placement could overwrite. Only the lookup of a host name goes through
// the Go resolver (see resolve).

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// kindImpl is what a kind's own file provides: on Linux, a parser and an
// opener (see open_other.go for the other systems).
type kindImpl interface {
	// parse parses rest, what follows the prefix and its colon in text;
	// the caller sets Kind and Text.
	parse(text, rest string) (Source, error)
	// open returns a close-on-exec fd for the source, numbered FirstFD or
	// more, and the file it created, if any. On error nothing it opened
	// stays open.
	open(s Source) (fd int, created *made, err error)
}

// open returns a close-on-exec fd for the source, numbered FirstFD or more
// so that it can never be mistaken for a standard stream. On error nothing
// it opened stays open.
func open(s Source) (int, error) {
	fd, _, err := openTracked(s)
	return fd, err
}

// openTracked is open that also returns the file it created, if any,
// for removal should the run be refused.
func openTracked(s Source) (int, *made, error) {
	return sourceKinds.open(s)
}

// open opens s with the opener of its kind's row.
func (t kindTable) open(s Source) (int, *made, error) {
	row, ok := t.lookup(s.Kind)
	if !ok {
		return -1, nil, fmt.Errorf("source %q: unknown kind", s.Text)
	}
	if err := checkBeneath(s); err != nil {
		return -1, nil, err
	}
	return row.impl.open(s)
}

// aboveStdio moves fd to FirstFD or above when the kernel gave it 0, 1 or
// 2 (which happens when this process runs with a standard stream closed).
func aboveStdio(fd int) (int, error) {
	if fd >= FirstFD {
		return fd, nil
	}
	moved, err := dupCloexec(fd, FirstFD)
	closeFD(fd)
	if err != nil {
		return -1, fmt.Errorf("move fd %d above %d: %w", fd, FirstFD-1, err)
	}
	return moved, nil
}

// setBlocking clears O_NONBLOCK, which ww sets only so that opening and
// connecting cannot hang: the child gets an ordinary blocking fd.
func setBlocking(fd int) error {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err == nil {
		_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFL, flags&^unix.O_NONBLOCK)
	}
	if err != nil {
		return fmt.Errorf("clear O_NONBLOCK: %w", err)
	}
	return nil
}

// retryEINTR calls f until it is not interrupted by a signal (the Go
// runtime sends them to preempt goroutines).
func retryEINTR[T any](f func() (T, error)) (T, error) {
	for {
		v, err := f()
		if !errors.Is(err, unix.EINTR) {
			return v, err
		}
	}
}

// closeOnError closes *fd and sets it to -1 when *err is set; deferred by
// the openers so that a failure part way leaves nothing open.
func closeOnError(fd *int, err *error) {
	if *err != nil && *fd >= 0 {
		closeFD(*fd)
		*fd = -1
	}
}
