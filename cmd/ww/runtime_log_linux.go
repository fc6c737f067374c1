package main

import (
	"errors"

	"golang.org/x/sys/unix"
)

// openAppend opens a log file for appending, as the lower runtime does.
func openAppend(path string) (int, error) {
	return unix.Open(path, unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
}

func closeRaw(fd int) { unix.Close(fd) }

// rawAppender writes to an fd with plain system calls.
type rawAppender int

func (w rawAppender) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k, err := unix.Write(int(w), p[n:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return n, err
		}
		n += k
	}
	return n, nil
}

// maxLogMessage bounds a logged error: values quoted in it are cut
// already, this is the last guard.
const maxLogMessage = 4 << 10

// quoteShortLines keeps a message to one line of at most maxLogMessage
// bytes.
func quoteShortLines(msg string) string {
	if len(msg) > maxLogMessage {
		msg = msg[:maxLogMessage] + "…"
	}
	return msg
}
