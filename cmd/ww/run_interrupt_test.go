package main

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestRunInterruptedStartRemovesMadeFiles sends SIGTERM to ww run at
// random moments in its first 3 ms, while it creates a file (create=)
// and a listening unix socket. A run that SIGTERM ended before the child
// started must leave neither behind; a run whose child got the signal
// (exit status 143) may, as the files were the child's.
func TestRunInterruptedStartRemovesMadeFiles(t *testing.T) {
	t.Parallel()
	// With SIGUSR1 blocked at start, ww catches signals with os/signal
	// instead of its own handler: both ways are checked.
	for _, tc := range []struct {
		name   string
		prefix []string
		runs   int
	}{
		{"ww's own handler", nil, 200},
		{"os/signal", []string{probeBin, "blocked", "10"}, 100},
	} {
		t.Run(tc.name, func(t *testing.T) { interruptMakingFiles(t, tc.prefix, tc.runs) })
	}
}

// interruptMakingFiles is TestRunInterruptedStartRemovesMadeFiles for
// ww started through prefix.
func interruptMakingFiles(t *testing.T, prefix []string, runs int) {
	dir := t.TempDir()
	var died, forwarded, failed int
	for i := range runs {
		file := filepath.Join(dir, fmt.Sprintf("made%d.log", i))
		sock := filepath.Join(dir, fmt.Sprintf("made%d.sock", i))
		args := append(append([]string(nil), prefix...), wwBin, "run",
			"--with-fd", "log=file:"+file+"?mode=w&create=0600",
			"--with-fd", "http=listen:unix:"+sock,
			"--", "/bin/sleep", "30")
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env = cleanEnv()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitExec(t, cmd.Process.Pid, wwBin)
		time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
		cmd.Process.Signal(syscall.SIGTERM)
		timer := time.AfterFunc(10*time.Second, func() { cmd.Process.Kill() })
		err := cmd.Wait()
		timer.Stop()
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("run %d: ww: %v, want ended by SIGTERM or exit status 143; stderr: %q", i, err, stderr.String())
		}
		ws := ee.Sys().(syscall.WaitStatus)
		switch {
		case ws.Signaled() && ws.Signal() == syscall.SIGTERM:
			died++
			var left []string
			for _, p := range []string{file, sock} {
				if _, err := os.Lstat(p); err == nil {
					left = append(left, filepath.Base(p))
				}
			}
			if len(left) > 0 {
				failed++
				t.Errorf("run %d: ww ended by SIGTERM before its child, and left %q", i, left)
			}
		case ws.Exited() && ws.ExitStatus() == 128+int(syscall.SIGTERM):
			forwarded++
		default:
			t.Errorf("run %d: ww: %v, want ended by SIGTERM or exit status 143; stderr: %q", i, err, stderr.String())
		}
		os.Remove(file)
		os.Remove(sock)
	}
	t.Logf("%d runs: ended before the child %d (%d left files), forwarded to the child %d", runs, died, failed, forwarded)
}
