package fdmgr

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// open opens a SourceFile. O_NONBLOCK keeps the open from waiting for
// the other end of a FIFO (and for a device's carrier); it is cleared
// before the fd is handed on. O_NOCTTY keeps a terminal from becoming
// ww's controlling terminal. A directory is refused unless Dir asks for
// one: a program handed a directory as its log would fail late and
// obscurely.
func (fileSource) open(s Source) (fd int, created *made, err error) {
	flags := unix.O_CLOEXEC | unix.O_NOCTTY | unix.O_NONBLOCK
	switch s.Mode {
	case OpenWrite:
		flags |= unix.O_WRONLY
	case OpenReadWrite:
		flags |= unix.O_RDWR
	case OpenAppend:
		flags |= unix.O_WRONLY | unix.O_APPEND
	default:
		flags |= unix.O_RDONLY
	}
	if s.Dir {
		flags |= unix.O_DIRECTORY
	}
	if s.Beneath != "" {
		fd, created, err = openFileBeneath(s, flags)
	} else if fd, created, err = openMaybeCreate(s, flags); err != nil {
		err = fileError(s, err)
	}
	if err != nil {
		return -1, nil, err
	}
	defer func() {
		if err != nil {
			created.remove()
			created = nil
		}
	}()
	defer closeOnError(&fd, &err)
	if fd, err = aboveStdio(fd); err != nil {
		return fd, created, err
	}
	var st unix.Stat_t
	if err = unix.Fstat(fd, &st); err != nil {
		return fd, created, fmt.Errorf("fstat: %w", err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR && !s.Dir {
		return fd, created, fmt.Errorf("open: %w (the option dir=true opens one)", unix.EISDIR)
	}
	return fd, created, setBlocking(fd)
}

// openMaybeCreate opens s.Path, creating it when s.Create asks and it is
// missing, and says whether it did: O_EXCL first, so that ww knows the
// file is its own to remove if the run is refused later.
func openMaybeCreate(s Source, flags int) (int, *made, error) {
	open := func(f int) (int, error) {
		return retryEINTR(func() (int, error) { return unix.Open(s.Path, f, s.Perm) })
	}
	if !s.Create {
		fd, err := open(flags)
		return fd, nil, err
	}
	for range 3 { // the file may come and go between the two opens
		fd, err := open(flags | unix.O_CREAT | unix.O_EXCL)
		if err == nil {
			return fd, madeAt(s.Path), nil
		}
		if !errors.Is(err, unix.EEXIST) {
			return -1, nil, err
		}
		fd, err = open(flags)
		if !errors.Is(err, unix.ENOENT) {
			return fd, nil, err
		}
	}
	fd, err := open(flags | unix.O_CREAT)
	return fd, nil, err
}

// fileError explains the errors of open(2) that read as riddles.
func fileError(s Source, err error) error {
	var st unix.Stat_t
	if errors.Is(err, unix.ENXIO) && unix.Stat(s.Path, &st) == nil {
		return openError(s, err, st.Mode)
	}
	return openError(s, err, 0)
}

// openError words err, the failure to open the file of s, whose st_mode
// is mode (0 when unknown).
func openError(s Source, err error, mode uint32) error {
	switch {
	case errors.Is(err, unix.ENXIO) && mode&unix.S_IFMT == unix.S_IFIFO:
		return fmt.Errorf("open: fifo has no reader: %w", err)
	case errors.Is(err, unix.ENXIO) && mode&unix.S_IFMT == unix.S_IFSOCK:
		return fmt.Errorf("open: %w: it is a unix socket (unix:PATH connects to one)", err)
	case errors.Is(err, unix.ENOENT) && s.Mode != OpenRead && !s.Create:
		return fmt.Errorf("open: %w (the option create=PERM creates it)", err)
	}
	return fmt.Errorf("open: %w", err)
}
