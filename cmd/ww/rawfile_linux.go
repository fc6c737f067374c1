package main

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// readFileRaw reads a whole file with plain system calls. os.ReadFile
// would start the Go runtime's netpoller, whose fd could then sit where
// ww is about to place a named fd; the runtime path reads its inputs
// this way until the target fds are reserved.
func readFileRaw(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var data []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(fd, buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read: %w", err)
		}
		if n == 0 {
			return data, nil
		}
		data = append(data, buf[:n]...)
	}
}
