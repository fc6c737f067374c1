package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestOutputFile checks forkWait's memory file: maxOutput bytes that
// take writes up to their end and no further.
func TestOutputFile(t *testing.T) {
	fd, err := outputFile()
	if err != nil {
		t.Skipf("no memory file here (forkWait uses a pipe): %v", err)
	}
	defer unix.Close(fd)
	if n, err := unix.Pwrite(fd, make([]byte, maxOutput), 0); n != maxOutput || err != nil {
		t.Errorf("write of %d bytes: %d, %v", maxOutput, n, err)
	}
	if _, err := unix.Pwrite(fd, []byte{1}, maxOutput); !errors.Is(err, unix.EPERM) {
		t.Errorf("write past %d bytes: %v, want EPERM (sealed)", maxOutput, err)
	}
}

// TestForkWait runs a child through forkWait, whose output goes to a
// memory file, and through forkWaitPipe, the path where there is none:
// both give the exit status, 128+N for a signal, and the child's output
// and errors, at most 64 KiB of them (a child with more to write fails:
// its writes are refused, or it gets SIGPIPE, unless the pipe took all
// of them before ww stopped reading).
func TestForkWait(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		code         int // -1: any
		out          []byte
	}{
		{"output and status", "echo out; echo err >&2; exit 3", 3, []byte("out\nerr\n")},
		{"no output", "exit 0", 0, []byte{}},
		{"killed", "kill -TERM $$", exitSignalsBase + 15, []byte{}},
		{"too much output", "head -c 70000 /dev/zero", -1, make([]byte, maxOutput)},
	} {
		argv := []string{"/bin/sh", "-c", tc.script}
		for _, run := range []struct {
			name string
			f    func(path string, argv, env []string, out *[]byte) (int, error)
		}{
			{"memory file", forkWait},
			{"pipe", forkWaitPipe},
		} {
			var out []byte
			code, err := run.f(argv[0], argv, []string{"PATH=/usr/bin:/bin"}, &out)
			if err != nil || (code != tc.code && tc.code != -1) || !bytes.Equal(out, tc.out) {
				t.Errorf("%s, %s: status %d, output %q (%d bytes), %v; want %d, %q", tc.name, run.name, code, clipBytes(out), len(out), err, tc.code, clipBytes(tc.out))
			}
		}
	}
}

// clipBytes is b for a message, cut after 40 bytes.
func clipBytes(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return strings.Clone(string(b))
}
