package main

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// readFileRaw reads a whole file of at most limit bytes with plain system
// calls: the runtime path avoids *os.File, whose poller needs two fds of
// its own and crashes the process when the fd table is full.
func readFileRaw(path string, limit int) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var data []byte
	buf := make([]byte, min(limit+1, 64<<10))
	for {
		n, err := unix.Read(fd, buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		if n == 0 {
			return data, nil
		}
		if len(data)+n > limit {
			return nil, fmt.Errorf("%s: more than %d bytes", path, limit)
		}
		data = append(data, buf[:n]...)
	}
}
