package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Signals around ww's start: before the child exists, during the fork,
// and when ww is a pid namespace's init.

// TestRunSignalBeforeChild sends SIGTERM while ww still waits to connect
// a source: ww must end at once, as it would without catching signals,
// and never start the child (nor hand it the stale signal later).
func TestRunSignalBeforeChild(t *testing.T) {
	dir := t.TempDir()
	sock := stalledSocket(t, dir)
	marker := filepath.Join(dir, "started")
	cmd := exec.Command(wwBin, "run", "--with-fd", "db=unix:"+sock+"?timeout=20s", "--", "/bin/sh", "-c", "touch "+marker)
	cmd.Env = cleanEnv()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	begin := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
		t.Errorf("ww: %v, want it ended by SIGTERM", err)
	}
	if d := time.Since(begin); d > 3*time.Second {
		t.Errorf("ww took %v to end after SIGTERM", d)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("the child was started")
	}
}

// TestRunAsInitSignalBeforeChild runs ww as the init of a new pid
// namespace, as a container's entrypoint, and sends it SIGTERM while it
// waits to connect a source. The kernel does not let a default action
// end an init, so ww must exit by itself, with status 143, and start
// nothing.
func TestRunAsInitSignalBeforeChild(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a pid namespace")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("needs unshare(1)")
	}
	// With SIGUSR1 blocked at start, ww catches signals with os/signal
	// instead of its own handler: both ways are checked.
	for _, tc := range []struct {
		name   string
		prefix []string
	}{
		{"ww's own handler", nil},
		{"os/signal", []string{probeBin, "blocked", "10"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			sock := stalledSocket(t, dir)
			marker := filepath.Join(dir, "started")
			args := append([]string{"--pid", "--fork", "--kill-child"}, tc.prefix...)
			args = append(args, wwBin, "run", "--with-fd", "db=unix:"+sock+"?timeout=20s",
				"--", "/bin/sh", "-c", `: > "$0"`, marker)
			cmd := exec.Command(unshare, args...)
			cmd.Env = cleanEnv()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			// ww is unshare's only child; wait until it waits to connect.
			var ww int
			children := fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid)
			for i := 0; i < 200 && ww == 0; i++ {
				b, _ := os.ReadFile(children)
				ww, _ = strconv.Atoi(strings.TrimSpace(string(b)))
				time.Sleep(10 * time.Millisecond)
			}
			if ww == 0 {
				t.Fatalf("no ww under unshare (%s)", children)
			}
			// The child may still be unshare's fork, or the probe that
			// execs ww: a SIGTERM to either would not test ww.
			waitExec(t, ww, wwBin)
			time.Sleep(300 * time.Millisecond)
			if err := syscall.Kill(ww, syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != 128+int(syscall.SIGTERM) {
					t.Errorf("ww as init: %v, want exit status 143", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("ww as init still runs 5 s after SIGTERM")
			}
			if _, err := os.Stat(marker); err == nil {
				t.Errorf("the child was started")
			}
		})
	}
}

// stalledSocket makes a unix socket in dir whose backlog is full, so that
// a connect to it waits, and returns its path.
func stalledSocket(t *testing.T, dir string) string {
	t.Helper()
	sock := filepath.Join(dir, "full.sock")
	l, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(l) })
	if err := syscall.Bind(l, &syscall.SockaddrUnix{Name: sock}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(l, 0); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		c, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { syscall.Close(c) })
		syscall.Connect(c, &syscall.SockaddrUnix{Name: sock})
	}
	return sock
}

// TestRunSignalDuringStart sends SIGTERM to ww at moments spread over its
// start, the fork included. Each run must end one of two ways: ww ended
// by SIGTERM before any child ran, or the child got the signal and ww
// exited with its status. A signal lost between the two (the child
// sleeping on) or a child left running while ww died are failures.
func TestRunSignalDuringStart(t *testing.T) {
	dir := t.TempDir()
	var died, forwarded int
	for i := 0; i < 150; i++ {
		marker := filepath.Join(dir, "started"+strconv.Itoa(i))
		cmd := exec.Command(wwBin, "run", "--with-fd", "in=0", "--", "/bin/sh", "-c", `: > "$0"; exec sleep 30`, marker)
		cmd.Env = cleanEnv()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(i%60) * 50 * time.Microsecond)
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Fatalf("run %d: ww still runs 10 s after SIGTERM: the signal was lost", i)
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("run %d: ww: %v, want ended by SIGTERM or exit status 143", i, err)
		}
		ws := ee.Sys().(syscall.WaitStatus)
		_, statErr := os.Stat(marker)
		switch {
		case ws.Signaled() && ws.Signal() == syscall.SIGTERM:
			if statErr == nil {
				t.Errorf("run %d: ww died of SIGTERM after its child had started", i)
			}
			died++
		case ws.Exited() && ws.ExitStatus() == 128+int(syscall.SIGTERM):
			forwarded++
		default:
			t.Errorf("run %d: ww: %v, want ended by SIGTERM or exit status 143", i, err)
		}
	}
	t.Logf("ended before the child: %d, forwarded to the child: %d", died, forwarded)
}
