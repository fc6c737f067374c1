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
	data, err := readAllRaw(fd, limit)
	switch {
	case errors.Is(err, errPastLimit):
		return nil, fmt.Errorf("%s: more than %d bytes", path, limit)
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}

// errPastLimit is readAllRaw's error for more than limit bytes.
var errPastLimit = errors.New("past the limit")

// readAllRaw reads fd to its end, at most limit bytes, with plain reads.
func readAllRaw(fd, limit int) ([]byte, error) {
	var data []byte
	buf := make([]byte, min(limit+1, 64<<10))
	for {
		n, err := unix.Read(fd, buf)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return nil, err
		case n == 0:
			return data, nil
		case len(data)+n > limit:
			return nil, errPastLimit
		}
		data = append(data, buf[:n]...)
	}
}
