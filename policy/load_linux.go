package policy

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Load reads and decodes the policy file at path. The file must be a
// regular file (not a symbolic link) of at most MaxFileSize bytes, owned
// by root or by the user ww runs as, and writable by no one else (no
// group or other write bit), as sudo asks of a sudoers file: whoever may
// write the policy decides what every container on the node may open.
// It is read with plain system calls, nothing through the Go runtime's
// poller. A missing file is an error that wraps fs.ErrNotExist; see
// LoadDefault.
func Load(path string) (*Policy, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", clip(path), err)
	}
	return Decode(path, data)
}

// LoadDefault is Load, except that a missing file gives Default(path): no
// file, no policy to write. Any other problem is an error; the gate then
// uses Failed(path, err), which refuses every request.
func LoadDefault(path string) (*Policy, error) {
	p, err := Load(path)
	if errors.Is(err, unix.ENOENT) {
		return Default(path), nil
	}
	return p, err
}

// readFile reads the policy file at path as Load describes.
func readFile(path string) ([]byte, error) {
	// O_NONBLOCK: a FIFO put there must not hang the runtime.
	fd, err := openRetry(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	switch {
	case errors.Is(err, unix.ELOOP):
		return nil, errors.New("is a symbolic link; name the file itself")
	case err != nil:
		return nil, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	if err := checkOwner(st, uint32(unix.Geteuid())); err != nil {
		return nil, err
	}
	if st.Size > MaxFileSize {
		return nil, fmt.Errorf("%d bytes, more than the %d a policy may have", st.Size, MaxFileSize)
	}
	buf := make([]byte, 0, st.Size+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return nil, err
		case n == 0:
			return buf, nil
		}
		if buf = buf[:len(buf)+n]; len(buf) > MaxFileSize {
			return nil, fmt.Errorf("more than the %d bytes a policy may have", MaxFileSize)
		}
	}
}

// checkOwner refuses a policy file that someone other than root or euid
// could have written.
func checkOwner(st unix.Stat_t, euid uint32) error {
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		return fmt.Errorf("not a regular file (mode %#o)", st.Mode&unix.S_IFMT)
	case st.Uid != 0 && st.Uid != euid:
		return fmt.Errorf("owned by uid %d, not by root or by uid %d that ww runs as: refused", st.Uid, euid)
	case st.Mode&0o022 != 0:
		return fmt.Errorf("writable by its group or by others (mode %#o): refused; chmod go-w it", st.Mode&0o777)
	}
	return nil
}

// openRetry is unix.Open, tried again when a signal interrupts it.
func openRetry(path string, flags int, mode uint32) (int, error) {
	for {
		fd, err := unix.Open(path, flags, mode)
		if !errors.Is(err, unix.EINTR) {
			return fd, err
		}
	}
}
