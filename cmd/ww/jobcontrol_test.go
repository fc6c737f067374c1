package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestRunJobControl runs ww from an interactive shell on a pseudo
// terminal: Ctrl-Z must stop the job (child and ww) and give the shell
// its prompt back, fg must continue it, and a Ctrl-C after that must
// reach the child once.
func TestRunJobControl(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("needs bash")
	}
	cmd := exec.Command(bash, "--norc", "--noprofile", "-i")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "PS1=$ ", "TERM=dumb"}
	pty, slave := onTerminal(t, cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	var seen strings.Builder
	lines := make(chan string, 64)
	go func() {
		br := bufio.NewReader(pty)
		for {
			line, err := br.ReadString('\n')
			lines <- line
			if err != nil {
				close(lines)
				return
			}
		}
	}()
	await := func(what string) string {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case line, ok := <-lines:
				seen.WriteString(line)
				if strings.Contains(line, what) {
					return line
				}
				if !ok {
					t.Fatalf("no %q in %q", what, seen.String())
				}
			case <-timeout:
				t.Fatalf("no %q in %q", what, seen.String())
			}
		}
	}
	send := func(s string) {
		t.Helper()
		if _, err := pty.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	send(wwBin + " run " + probeBin + " signals 1\n")
	await("ready")
	send("\x1a") // Ctrl-Z
	await("Stopped")
	send("fg\n")
	// Wait until the shell has handed the terminal over (to ww, which
	// hands it to the child): a Ctrl-C before that is the shell's.
	deadline := time.Now().Add(10 * time.Second)
	for {
		fg, err := unix.IoctlGetInt(int(pty.Fd()), unix.TIOCGPGRP)
		if err == nil && fg != cmd.Process.Pid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the shell kept the terminal after fg: %q", seen.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	send("\x03") // Ctrl-C
	line := await(`"signals"`)
	r := parseReport(t, line[strings.Index(line, "{"):])
	if !slices.Equal(r.Signals, []int{int(syscall.SIGINT)}) {
		t.Errorf("child got signals %v after Ctrl-Z, fg, Ctrl-C; want [2] once", r.Signals)
	}
	send("echo status=$?\n")
	await("status=0")
	send("exit\n")
}

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

// TestRunKeepsIgnoredSignals runs ww as nohup does, with SIGHUP ignored:
// ww must not catch it, so the child starts with it ignored too.
func TestRunKeepsIgnoredSignals(t *testing.T) {
	cmd := exec.Command("/bin/sh", "-c", `trap "" HUP; exec "$0" run -- /bin/sh -c 'grep SigIgn /proc/self/status'`, wwBin)
	cmd.Env = cleanEnv()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	field := strings.Fields(string(out))
	if len(field) != 2 {
		t.Fatalf("child said %q", out)
	}
	mask, err := strconv.ParseUint(field[1], 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	if mask&(1<<(syscall.SIGHUP-1)) == 0 {
		t.Errorf("child's ignored signals %s lack SIGHUP", field[1])
	}
}

// TestRunChildDiesWithWW kills ww with SIGKILL: its child must not go on
// running with no one to wait for it.
func TestRunChildDiesWithWW(t *testing.T) {
	cmd := exec.Command(wwBin, "run", "--", "/bin/sh", "-c", `echo $$; exec "$0" signals 1`, probeBin)
	cmd.Env = cleanEnv()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(out)
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	child, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("child said %q", line)
	}
	if line, err := br.ReadString('\n'); err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("probe said %q, %v", line, err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	for i := 0; i < 200; i++ {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(child) + "/stat")
		if err != nil {
			return // gone
		}
		if f := strings.Fields(string(b)); len(f) > 2 && f[2] == "Z" {
			return // dead, not yet reaped
		}
		time.Sleep(10 * time.Millisecond)
	}
	syscall.Kill(child, syscall.SIGKILL)
	t.Errorf("child %d still runs after ww was killed", child)
}
