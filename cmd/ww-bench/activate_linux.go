package main

import (
	"bytes"
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// trigger is the connection a command waits for before it does its work:
// systemd-socket-activate, for one, takes no port 0 and starts its
// program only after a first connection. Once the command has written
// ready to its stderr, the driver connects to port on 127.0.0.1, once.
type trigger struct {
	port  int
	ready string
}

// runTriggered runs j with its stderr in a pipe, connects when the
// trigger's ready text shows there, and reads on until the end. The driver
// blocks on the pipe, as it blocks in wait for the other cases, rather
// than spinning on connect: a spinning driver takes a CPU from the command
// it times. It returns all that the command wrote to stderr.
func (r *runner) runTriggered(j *job, files []uintptr) (syscall.WaitStatus, []byte, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return 0, nil, fmt.Errorf("pipe: %w", err)
	}
	files = append([]uintptr(nil), files...)
	files[2] = uintptr(p[1])
	pid, err := r.start(j, files)
	unix.Close(p[1])
	if err != nil {
		unix.Close(p[0])
		return 0, nil, err
	}
	out, err := readAndConnect(p[0], j.trigger)
	if err != nil {
		unix.Kill(pid, unix.SIGKILL)
	}
	unix.Close(p[0])
	ws, werr := r.wait(pid)
	if err != nil {
		return ws, out, fmt.Errorf("%w (it wrote: %s)", err, trimOutput(out))
	}
	return ws, out, werr
}

// readAndConnect reads fd to its end, and connects as soon as the
// trigger's ready text has been read.
func readAndConnect(fd int, t *trigger) ([]byte, error) {
	var out []byte
	buf := make([]byte, 4096)
	connected := false
	for {
		n, err := unix.Read(fd, buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("read stderr: %w", err)
		}
		if n == 0 {
			return out, nil
		}
		out = append(out, buf[:n]...)
		if !connected && bytes.Contains(out, []byte(t.ready)) {
			connected = true
			if err := connectOnce(t.port); err != nil {
				return out, err
			}
		}
	}
}

// connectOnce connects to 127.0.0.1:port and resets the connection at
// once, so that no TIME_WAIT piles up over thousands of runs.
func connectOnce(port int) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	err = unix.Connect(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}})
	switch {
	case err == nil:
		unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1})
		return nil
	case errors.Is(err, unix.ECONNRESET):
		// The connection was made, and the listener has been closed
		// since: the program started and may have ended already.
		return nil
	}
	return fmt.Errorf("connect to 127.0.0.1:%d: %w", port, err)
}

// freePort returns a TCP port on 127.0.0.1 that nothing listens on now,
// for programs that cannot be given port 0.
func freePort() (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return 0, fmt.Errorf("bind 127.0.0.1:0: %w", err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return 0, fmt.Errorf("getsockname: %w", err)
	}
	in4, ok := sa.(*unix.SockaddrInet4)
	if !ok {
		return 0, fmt.Errorf("getsockname: not an IPv4 address: %v", sa)
	}
	return in4.Port, nil
}
