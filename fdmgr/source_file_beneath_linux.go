package fdmgr

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// openFileBeneath opens a SourceFile confined to s.Beneath, with the flags
// fileSource.open chose. The file is reached first with O_PATH, which
// opens nothing (no device's open routine runs, no FIFO waits), and
// judged: a device node is refused, unless AllowDevice, before anything of
// it is opened. The file is then opened through procFD, so that what is
// opened is what was judged, whatever is swapped in at the path
// meanwhile. create= makes the file with O_CREAT|O_EXCL, which neither
// follows a symbolic link nor opens what is already there.
func openFileBeneath(s Source, flags int) (fd int, created *made, err error) {
	rel, err := s.beneathRel()
	if err != nil {
		return -1, nil, err
	}
	dir, err := openFolder(s.Beneath)
	if err != nil {
		return -1, nil, err
	}
	defer closeFD(dir)
	if !s.Create {
		fd, err = openExistingBeneath(s, dir, rel, flags)
		return fd, nil, err
	}
	for range 3 { // the file may come and go between the two opens
		fd, err = openBeneath(dir, s.Beneath, rel, flags|unix.O_CREAT|unix.O_EXCL, s.Perm)
		if err == nil {
			return fd, madeBeneath(s.Beneath, rel, fd), nil
		}
		if !errors.Is(err, unix.EEXIST) {
			return -1, nil, beneathFileError(s, err)
		}
		fd, err = openExistingBeneath(s, dir, rel, flags)
		if !errors.Is(err, unix.ENOENT) {
			return fd, nil, err
		}
	}
	return -1, nil, err
}

// openExistingBeneath opens the file at rel beneath the folder fd dir,
// refusing a device node unless s allows one.
func openExistingBeneath(s Source, dir int, rel string, flags int) (int, error) {
	p, err := openBeneath(dir, s.Beneath, rel, unix.O_PATH|unix.O_CLOEXEC|flags&unix.O_DIRECTORY, 0)
	if err != nil {
		return -1, beneathFileError(s, err)
	}
	defer closeFD(p)
	var st unix.Stat_t
	if err := unix.Fstat(p, &st); err != nil {
		return -1, fmt.Errorf("fstat: %w", err)
	}
	if isDevice(st.Mode) && !s.AllowDevice {
		return -1, fmt.Errorf("open: a %s, refused beneath %s", fileType(st.Mode), s.Beneath)
	}
	fd, err := retryEINTR(func() (int, error) { return unix.Open(procFD(p), flags, 0) })
	if err != nil {
		return -1, openError(s, err, st.Mode)
	}
	return fd, nil
}

// beneathFileError words the failure to open a confined file: an escape
// says so alone, anything else as openError does.
func beneathFileError(s Source, err error) error {
	var escape *escapeError
	if errors.As(err, &escape) {
		return err
	}
	return openError(s, err, 0)
}
