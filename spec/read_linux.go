package spec

import (
	"errors"
	"fmt"
	"io/fs"

	"golang.org/x/sys/unix"
)

// MaxConfigSize is the largest config.json ww reads: far above any real
// one (a Kubernetes pod, environment and annotations included, must fit
// in an etcd object of 1.5 MB, and exec(2) takes about 2 MB of
// environment), and low enough that a config that is a link to /dev/zero,
// or a file that keeps growing, is an error instead of a process that
// eats the node's memory: editing a config costs ww about 30 times its
// size (measured: 507 MB of peak memory for a 15 MB config).
const MaxConfigSize = 8 << 20

// ReadConfigFile reads the config at path, which must be a regular file
// (a symbolic link to one is followed, as the runtime follows it) of at
// most MaxConfigSize bytes. It uses plain system calls, as writeAtomic
// does, and returns the file's permission bits too. Its errors are
// *fs.PathError.
func ReadConfigFile(path string) ([]byte, fs.FileMode, error) {
	return readRegular(path, MaxConfigSize)
}

// readRegular reads the regular file at path, refusing one of more than
// limit bytes.
func readRegular(path string, limit int64) ([]byte, fs.FileMode, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, 0, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, 0, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, 0, &fs.PathError{Op: "read", Path: path, Err: errors.New("not a regular file")}
	}
	if st.Size > limit {
		return nil, 0, &fs.PathError{Op: "read", Path: path,
			Err: fmt.Errorf("%d bytes, more than the %s a config may have", st.Size, sizeText(limit))}
	}
	// The size may change while it is read: never read past the limit.
	data := make([]byte, 0, st.Size+1)
	for {
		if int64(len(data)) > limit {
			return nil, 0, &fs.PathError{Op: "read", Path: path,
				Err: fmt.Errorf("more than the %s a config may have", sizeText(limit))}
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := unix.Read(fd, data[len(data):cap(data)])
		if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
			continue
		}
		if err != nil {
			return nil, 0, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return data, fs.FileMode(st.Mode & 0o777), nil
		}
		data = data[:len(data)+n]
	}
}

// sizeText writes a size in whole MiB or KiB, or in bytes.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
