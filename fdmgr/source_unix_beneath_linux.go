package fdmgr

// A unix socket's path cannot be resolved by openat2 on the way to
// connect(2) or bind(2), which take a path, not an fd and a path. So the
// path is resolved beneath the folder first, to an O_PATH fd, and the
// socket call is given procFD of that fd, which the kernel follows to
// exactly the file the fd holds: a symbolic link swapped in at the path
// after the lookup changes nothing.

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// connectUnixBeneath connects to the socket of s, confined to s.Beneath:
// the socket file is reached with O_PATH beneath the folder, checked to be
// a socket, and connected to through its fd.
func connectUnixBeneath(s Source) (int, error) {
	rel, err := s.beneathRel()
	if err != nil {
		return -1, err
	}
	dir, err := openFolder(s.Beneath)
	if err != nil {
		return -1, err
	}
	defer closeFD(dir)
	p, err := openBeneath(dir, s.Beneath, rel, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, beneathError("connect", err)
	}
	defer closeFD(p)
	var st unix.Stat_t
	if err := unix.Fstat(p, &st); err != nil {
		return -1, fmt.Errorf("fstat: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return -1, fmt.Errorf("connect: a %s, not a socket", fileType(st.Mode))
	}
	return connectUnix(procFD(p), s.timeout())
}

// listenUnixBeneath binds a unix stream socket at the path of s, confined
// to s.Beneath, and listens on it: the folder that is to hold the socket
// is reached with O_PATH beneath s.Beneath, and the socket is bound at
// NAME in it through procFD, "/proc/self/fd/N/NAME", which must fit in
// sun_path. A stale socket file there is replaced, as listenUnix does,
// without leaving that folder.
func listenUnixBeneath(s Source) (fd int, created *made, err error) {
	rel, err := s.beneathRel()
	if err != nil {
		return -1, nil, err
	}
	parent, name := splitName(rel)
	if name == "" {
		return -1, nil, fmt.Errorf("bind: %q names a folder, not a file beneath %s", rel, s.Beneath)
	}
	dir, err := openFolder(s.Beneath)
	if err != nil {
		return -1, nil, err
	}
	defer closeFD(dir)
	d, err := openBeneath(dir, s.Beneath, parent, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, nil, beneathError("bind", err)
	}
	defer closeFD(d)
	addr := procFD(d) + "/" + name
	if len(addr) > maxUnixPath {
		return -1, nil, fmt.Errorf("bind: socket name %q is too long to bind beneath a folder: %s is %d bytes, more than the %d of sun_path", name, addr, len(addr), maxUnixPath)
	}
	if fd, err = newSocket(unix.AF_UNIX, unix.SOCK_STREAM); err != nil {
		return -1, nil, err
	}
	defer closeOnError(&fd, &err)
	sa := &unix.SockaddrUnix{Name: addr}
	err = unix.Bind(fd, sa)
	if errors.Is(err, unix.EADDRINUSE) {
		if err = removeStaleBeneath(d, name); err != nil {
			return fd, nil, err
		}
		err = unix.Bind(fd, sa)
	}
	if err != nil {
		return fd, nil, fmt.Errorf("bind: %w", err)
	}
	created = madeNamedBeneath(s.Beneath, rel, d, name)
	if err = unix.Listen(fd, listenBacklog); err != nil {
		created.remove()
		return fd, nil, fmt.Errorf("listen: %w", err)
	}
	return fd, created, nil
}

// removeStaleBeneath removes the socket file name in the folder fd dir if
// no one listens on it. The probe connects through an fd of the very file
// checked; name is one element, so the removal stays in the folder.
func removeStaleBeneath(dir int, name string) error {
	p, err := retryEINTR(func() (int, error) {
		return unix.Openat(dir, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	})
	if err != nil {
		return fmt.Errorf("bind: %w (open: %w)", unix.EADDRINUSE, err)
	}
	defer closeFD(p)
	var st unix.Stat_t
	if err := unix.Fstat(p, &st); err != nil {
		return fmt.Errorf("bind: %w (fstat: %w)", unix.EADDRINUSE, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return fmt.Errorf("bind: %w: a file that is not a socket is there", unix.EADDRINUSE)
	}
	if err := probeStale(procFD(p)); err != nil {
		return err
	}
	if err := unix.Unlinkat(dir, name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("remove stale socket: %w", err)
	}
	return nil
}

// beneathError words the failure of op to reach a confined path: an
// escape says so alone.
func beneathError(op string, err error) error {
	var escape *escapeError
	if errors.As(err, &escape) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}
