package main

import (
	"bufio"
	"encoding/binary"
	"io"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/containerd/console"
)

// startSignalProbe starts ww running the probe in "signals 1" mode and
// waits until the probe listens for signals.
func startSignalProbe(t *testing.T, cmd *exec.Cmd, out io.Reader) *bufio.Reader {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	br := bufio.NewReader(out)
	line, err := br.ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("probe said %q, %v; want ready", line, err)
	}
	return br
}

// TestRunForwardsSignals sends each forwarded signal to ww with kill(2)
// and checks that the child gets it exactly once.
func TestRunForwardsSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP,
		syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH} {
		t.Run(sig.String()+", delivered once", func(t *testing.T) {
			cmd := exec.Command(wwBin, "run", "--with-fd", "in=0", probeBin, "signals", "1")
			checkForwardedOnce(t, cmd, sig, func(pid int) error { return syscall.Kill(pid, sig) })
		})
	}
}

// TestRunForwardsSignalsBlockedAtStart starts ww with the forwarded
// signals that the Go runtime leaves blocked (SIGUSR1, SIGUSR2, SIGWINCH)
// blocked, as a program started from a thread that blocks them is: ww
// must still receive each and pass it on.
func TestRunForwardsSignalsBlockedAtStart(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH} {
		t.Run(sig.String()+", delivered once", func(t *testing.T) {
			cmd := exec.Command(probeBin, "blocked", "10,12,28", wwBin, "run", "--", probeBin, "signals", "1")
			checkForwardedOnce(t, cmd, sig, func(pid int) error { return syscall.Kill(pid, sig) })
		})
	}
}

// TestRunForwardsQueuedSignal sends SIGUSR1 to ww with sigqueue(3),
// whose siginfo carries whatever sender pid the caller writes: one that
// claims to come from ww itself must still reach the child once (only a
// signal ww really sent itself, as kill(2) and tgkill(2) say, is not the
// child's).
func TestRunForwardsQueuedSignal(t *testing.T) {
	cmd := exec.Command(wwBin, "run", "--", probeBin, "signals", "1")
	checkForwardedOnce(t, cmd, syscall.SIGUSR1, func(pid int) error {
		var info [128]byte
		binary.NativeEndian.PutUint32(info[0:], uint32(syscall.SIGUSR1))
		binary.NativeEndian.PutUint32(info[8:], ^uint32(0)) // SI_QUEUE, -1
		binary.NativeEndian.PutUint32(info[16:], uint32(pid))
		_, _, errno := syscall.Syscall(syscall.SYS_RT_SIGQUEUEINFO, uintptr(pid),
			uintptr(syscall.SIGUSR1), uintptr(unsafe.Pointer(&info[0])))
		if errno != 0 {
			return errno
		}
		return nil
	})
}

// checkForwardedOnce starts cmd, ww running the probe in "signals 1"
// mode, has send signal ww's pid once the probe listens, and checks that
// the child got sig exactly once.
func checkForwardedOnce(t *testing.T, cmd *exec.Cmd, sig syscall.Signal, send func(pid int) error) {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	br := startSignalProbe(t, cmd, out)
	if err := send(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(10*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	rest, _ := io.ReadAll(br)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("ww: %v (killed after 10 s means the signal never reached the child)", err)
	}
	r := parseReport(t, string(rest))
	if !slices.Equal(r.Signals, []int{int(sig)}) {
		t.Errorf("child got signals %v, want [%d] once", r.Signals, sig)
	}
}

// TestRunTerminalSignalsOnce runs ww in the foreground of a pseudo
// terminal: Ctrl-C and a window resize, which the terminal sends to its
// whole foreground process group, must reach the child once.
func TestRunTerminalSignalsOnce(t *testing.T) {
	tests := []struct {
		name string
		send func(console.Console) error
		sig  syscall.Signal
	}{
		{"Ctrl-C, one SIGINT", func(c console.Console) error { _, err := c.Write([]byte{0x03}); return err }, syscall.SIGINT},
		{"Ctrl-\\, one SIGQUIT", func(c console.Console) error { _, err := c.Write([]byte{0x1c}); return err }, syscall.SIGQUIT},
		{"resize, one SIGWINCH", func(c console.Console) error { return c.Resize(console.WinSize{Height: 40, Width: 100}) }, syscall.SIGWINCH},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(wwBin, "run", "--with-fd", "tty=0", probeBin, "signals", "1")
			pty, slave := onTerminal(t, cmd)
			br := startSignalProbe(t, cmd, pty)
			slave.Close()
			if err := tc.send(pty); err != nil {
				t.Fatal(err)
			}
			waitErr := make(chan error, 1)
			go func() { waitErr <- cmd.Wait() }()
			var report string
			for {
				line, err := br.ReadString('\n')
				// The terminal echoes "^C" in front of the report.
				if i := strings.Index(line, "{"); i >= 0 {
					report = line[i:]
					break
				}
				if err != nil {
					t.Fatalf("no report from the probe: %v", err)
				}
			}
			select {
			case err := <-waitErr:
				if err != nil {
					t.Fatalf("ww: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("ww did not exit")
			}
			r := parseReport(t, report)
			if !slices.Equal(r.Signals, []int{int(tc.sig)}) {
				t.Errorf("child got signals %v, want [%d] once", r.Signals, tc.sig)
			}
		})
	}
}
