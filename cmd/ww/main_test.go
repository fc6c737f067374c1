package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/console"

	"github.com/ww-dev/ww/cmd/internal/fastpath"
	"github.com/ww-dev/ww/hook"
)

// Binaries built once for every test in this package.
var (
	runtimePolicy string
	stateDir      string
	wwBin         string
	// wwTryBin is ww linked without fastpath.EntrySymbol: its pass-through
	// calls go through fastpath.Try. On linux/amd64 wwBin has the entry.
	wwTryBin   string
	probeBin   string
	sdprobeBin string
	// sdprobeCBin is empty when libsystemd's headers are missing.
	sdprobeCBin string
	// latetrapBin is empty when gcc or a static libc is missing.
	latetrapBin string
)

// runtimePolicyYAML is the node policy of the tests: /dev/null as a node
// resource, files beneath the folders the tests write in, and listeners
// anywhere, for every container.
const runtimePolicyYAML = `version: 1
resources:
  "null": {source: "file:/dev/null", namespaces: ["@local", "*"]}
  nullw: {source: "file:/dev/null?mode=w", namespaces: ["@local", "*"]}
raw:
  - namespaces: ["@local", "*"]
    files: [/etc, /tmp, /dev/shm, /run, /var/tmp]
    unix: [/tmp, /run, /dev/shm]
hostNetwork:
  namespaces: ["@local", "*"]
`

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ww-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		wwBin = filepath.Join(dir, "ww")
		wwTryBin = filepath.Join(dir, "ww-try")
		probeBin = filepath.Join(dir, "probe")
		sdprobeBin = filepath.Join(dir, "sdprobe")
		for _, b := range []struct{ pkg, out, ldflags string }{
			{".", wwBin, wwLDFlags()},
			{".", wwTryBin, ""},
			{"../internal/probe", probeBin, ""},
			{"../internal/sdprobe", sdprobeBin, ""},
		} {
			pkg := b.pkg
			cmd := exec.Command("go", "build", "-ldflags", b.ldflags, "-o", b.out, pkg)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if b, err := cmd.CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, b)
				return 1
			}
		}
		sdprobeCBin = buildCProbe(dir)
		latetrapBin = buildLatetrap(dir)
		// ww runtime, and every engine the tests start it from, judges
		// annotations by this node policy.
		runtimePolicy = filepath.Join(dir, "policy.yaml")
		if err := os.WriteFile(runtimePolicy, []byte(runtimePolicyYAML), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		os.Setenv("WW_POLICY", runtimePolicy)
		// ww runtime's records of containers, apart from the node's.
		stateDir = filepath.Join(dir, "state")
		os.Setenv(hook.DirEnv, stateDir)
		return m.Run()
	}()
	os.Exit(code)
}

// wwLDFlags are the linker flags of the Makefile's build of ww: the
// early entry on linux/amd64.
func wwLDFlags() string {
	if runtime.GOARCH == "amd64" {
		return "-E " + fastpath.EntrySymbol
	}
	return ""
}

// result is what one run of ww gave.
type result struct {
	stdout, stderr string
	code           int
}

// runWW runs ww with args; extra land at fds 3, 4, … in ww.
func runWW(t *testing.T, extra []*os.File, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(wwBin, args...)
	cmd.ExtraFiles = extra
	cmd.Env = env
	if env == nil {
		cmd.Env = os.Environ()
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run ww %q: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

// report is the probe's JSON.
type report struct {
	PID     int            `json:"pid"`
	PPID    int            `json:"ppid"`
	PGID    int            `json:"pgid"`
	Args    []string       `json:"args"`
	Env     []string       `json:"env"`
	FDs     map[int]string `json:"fds"`
	Cloexec map[int]bool   `json:"cloexec"`
	Signals []int          `json:"signals"`
	WinSize []int          `json:"winsize"`
	Siginfo []byte         `json:"siginfo"`
}

func parseReport(t *testing.T, out string) report {
	t.Helper()
	var r report
	line := out[strings.LastIndex(strings.TrimRight(out, "\n"), "\n")+1:]
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		t.Fatalf("probe report %q: %v", out, err)
	}
	return r
}

// wwVars returns the probe's WW_FD_* variables.
func (r report) wwVars() []string {
	var vars []string
	for _, kv := range r.Env {
		if strings.HasPrefix(kv, "WW_FD_") {
			vars = append(vars, kv)
		}
	}
	return vars
}

// tempFiles creates n distinct files; their paths tell them apart in the
// probe's /proc/self/fd view.
func tempFiles(t *testing.T, n int) []*os.File {
	t.Helper()
	dir := t.TempDir()
	files := make([]*os.File, n)
	for i := range files {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("f%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		files[i] = f
	}
	return files
}

// buildCProbe builds the libsystemd probe, or returns "" when the machine
// cannot (make test installs gcc and libsystemd-dev).
func buildCProbe(dir string) string {
	flags, err := exec.Command("pkg-config", "--cflags", "--libs", "libsystemd").Output()
	if err != nil {
		return ""
	}
	out := filepath.Join(dir, "sdprobe-c")
	args := append([]string{"-O2", "-Wall", "-o", out, "../internal/sdprobe-c/main.c"}, strings.Fields(string(flags))...)
	if b, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build sdprobe-c: %v\n%s", err, b)
		return ""
	}
	return out
}

// cleanEnv is the test's environment without any variable ww manages.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "WW_FD_") && !strings.HasPrefix(kv, "LISTEN_") {
			env = append(env, kv)
		}
	}
	return env
}

// onTerminal gives cmd a new pseudo terminal as its controlling terminal
// and standard streams, in a session of its own, as a shell's foreground
// job has. It returns the terminal's master and the slave, which the
// caller closes once cmd has started.
func onTerminal(t *testing.T, cmd *exec.Cmd) (console.Console, *os.File) {
	t.Helper()
	pty, slavePath, err := console.NewPty()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pty.Close() })
	slave, err := os.OpenFile(slavePath, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	return pty, slave
}

// waitExec waits until pid runs bin. A test that starts ww through a
// program that execs it (the probe's "blocked" mode, unshare) must call it
// before it signals pid: a process-directed signal sent to a Go program
// (the probe) while it execs can be taken by one of its other threads,
// which the exec then ends before the signal ends the program; the signal
// is lost, and ww never sees it. Once /proc/PID/exe is bin, the exec has
// left one thread, and a signal waits for ww.
func waitExec(t *testing.T, pid int, bin string) {
	t.Helper()
	want, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	exe := fmt.Sprintf("/proc/%d/exe", pid)
	for deadline := time.Now().Add(10 * time.Second); ; {
		got, err := os.Stat(exe)
		if err == nil && os.SameFile(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d did not exec %s: %v", pid, bin, err)
		}
		time.Sleep(20 * time.Microsecond)
	}
}
