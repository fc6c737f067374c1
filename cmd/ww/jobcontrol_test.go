package main

import (
	"bufio"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/console"
	"golang.org/x/sys/unix"
)

// TestRunJobControl runs ww from an interactive shell on a pseudo
// terminal: Ctrl-Z must stop the job (child and ww) and give the shell
// its prompt back, fg must continue it, and a Ctrl-C after that must
// reach the child once.
func TestRunJobControl(t *testing.T) {
	sh := startShell(t)
	send, await, pty := sh.send, sh.await, sh.pty
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
		if err == nil && fg != sh.pid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the shell kept the terminal after fg: %q", sh.seen.String())
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

// TestRunJobControlTerminalInput stops and continues, three times, a
// child that reads the terminal: after each fg the child must own the
// terminal again (not be stopped by SIGTTIN), and the line typed last
// must reach it.
func TestRunJobControlTerminalInput(t *testing.T) {
	sh := startShell(t)
	sh.send(wwBin + " run -- /bin/sh -c 'echo reading; read x; echo got-$x'\n")
	sh.await("reading")
	for i := 0; i < 3; i++ {
		sh.awaitRunningForeground(t)
		time.Sleep(50 * time.Millisecond) // the child waits in read
		sh.send("\x1a")                   // Ctrl-Z
		sh.await("Stopped")
		sh.send("fg\n")
		sh.await("/bin/sh -c") // bash names the job it continues
	}
	sh.awaitRunningForeground(t)
	time.Sleep(50 * time.Millisecond)
	sh.send("hello\n")
	sh.await("got-hello")
	sh.send("echo status=$?\n")
	sh.await("status=0")
	sh.send("exit\n")
}

// awaitRunningForeground waits (10 s at most) until the terminal's
// foreground is a process group other than the shell's whose leader is
// not stopped: after fg, until ww has handed the terminal to its child
// and continued it. A Ctrl-C or Ctrl-Z typed between the two would reach
// the child stopped, and a stop signal pending then is discarded by the
// SIGCONT that follows, as the kernel does: on a loaded machine the
// moment can be long enough to catch a test's keystroke.
func (sh *shell) awaitRunningForeground(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		fg, err := unix.IoctlGetInt(int(sh.pty.Fd()), unix.TIOCGPGRP)
		if err == nil && fg != sh.pid {
			b, err := os.ReadFile("/proc/" + strconv.Itoa(fg) + "/stat")
			if i := strings.LastIndexByte(string(b), ')'); err == nil && i >= 0 && i+2 < len(b) && b[i+2] != 'T' {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no running foreground job: %q", sh.seen.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// shell is an interactive bash on a pseudo terminal.
type shell struct {
	pty   console.Console
	pid   int
	seen  *strings.Builder
	send  func(string)
	await func(string) string
}

// startShell starts an interactive bash on a new pseudo terminal; send
// types into it, await waits (10 s at most) for a line with the text.
func startShell(t *testing.T) *shell {
	t.Helper()
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

	seen := new(strings.Builder)
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
	return &shell{pty: pty, pid: cmd.Process.Pid, seen: seen, send: send, await: await}
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
