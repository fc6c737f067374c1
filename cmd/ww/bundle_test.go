package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/containerd/console"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// requireRunc skips a test that needs root and runc.
func requireRunc(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run containers")
	}
	path, err := exec.LookPath("runc")
	if err != nil {
		t.Skip("runc is not installed (make test installs it)")
	}
	return path
}

// makeBundle writes an OCI bundle whose rootfs holds only the static
// probe, at /probe, with a config from runc spec edited by edit.
func makeBundle(t *testing.T, args []string, edit func(*specs.Spec)) string {
	t.Helper()
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs")
	if err := os.MkdirAll(rootfs, 0o755); err != nil {
		t.Fatal(err)
	}
	probe, err := os.ReadFile(probeBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rootfs, "probe"), probe, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("runc", "spec", "--bundle", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v: %s", err, out)
	}
	path := filepath.Join(dir, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	s.Process.Terminal = false
	s.Process.Args = append([]string{"/probe"}, args...)
	if edit != nil {
		edit(&s)
	}
	if data, err = json.MarshalIndent(&s, "", "\t"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// testID makes a container id unique to this test process, as bundle
// tests share runc's default root with anything else on the machine.
func testID(name string) string { return name + "-" + strconv.Itoa(os.Getpid()) }

// assertNoContainer checks that runc no longer knows the container.
func assertNoContainer(t *testing.T, id string) {
	t.Helper()
	if out, err := exec.Command("runc", "state", id).CombinedOutput(); err == nil {
		t.Errorf("container %s still exists: %s", id, out)
		exec.Command("runc", "delete", "--force", id).Run()
	}
}

// TestBundleRun runs a container with an inherited fd, a file and a
// listening socket, and checks its view: the fds at 3, 4, 5, nothing
// else, and their names.
func TestBundleRun(t *testing.T) {
	requireRunc(t)
	bundle := makeBundle(t, []string{"fds"}, nil)
	config := filepath.Join(bundle, "config.json")
	before, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "app.log")
	id := testID("ww-test-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")))
	res := runWW(t, tempFiles(t, 3), cleanEnv(), "run", "--bundle", bundle, "--id", id,
		"--with-fd", "web=listen:tcp:127.0.0.1:0", "--with-fd", "in=5",
		"--with-fd", "log=file:"+logPath+"?mode=w&create=0600")
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	r := parseReport(t, res.stdout)
	if r.PID != 1 {
		t.Errorf("container process is pid %d, want 1", r.PID)
	}
	want := []string{"WW_FD_IN=3", "WW_FD_LOG=4", "WW_FD_WEB=5"}
	if got := r.wwVars(); !slices.Equal(got, want) {
		t.Errorf("WW_FD_* = %q, want %q", got, want)
	}
	if got := len(r.FDs); got != 6 {
		t.Errorf("container fds %v, want 0..5 only", r.FDs)
	}
	if !strings.HasSuffix(r.FDs[3], "/f2") || !strings.HasSuffix(r.FDs[4], "/app.log") || !strings.HasPrefix(r.FDs[5], "socket:") {
		t.Errorf("container fds %v, want f2 at 3, app.log at 4, a socket at 5", r.FDs)
	}
	after, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("the user's config.json was changed")
	}
	assertNoContainer(t, id)
}

// TestBundleRunStatus checks exit statuses, argument replacement and
// that the container is deleted afterwards.
func TestBundleRunStatus(t *testing.T) {
	requireRunc(t)
	bundle := makeBundle(t, []string{"fds"}, nil)
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"args exit 7, status 7", []string{"/probe", "exit", "7"}, 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := testID("ww-status-" + tc.args[2])
			res := runWW(t, nil, cleanEnv(), append([]string{"run", "--bundle", bundle, "--id", id, "--"}, tc.args...)...)
			if res.code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", res.code, tc.code, res.stderr)
			}
			assertNoContainer(t, id)
		})
	}
}

// TestBundleSignals checks that a signal to ww reaches the container's
// process once, and that a process killed by a signal gives 128+N.
func TestBundleSignals(t *testing.T) {
	requireRunc(t)
	bundle := makeBundle(t, []string{"signals", "1"}, nil)
	usr1ID, killID := testID("ww-sig-usr1"), testID("ww-sig-kill")
	t.Run("SIGUSR1 to ww, container gets it once", func(t *testing.T) {
		cmd := exec.Command(wwBin, "run", "--bundle", bundle, "--id", usr1ID)
		cmd.Env = cleanEnv()
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		br := startSignalProbe(t, cmd, out)
		if err := cmd.Process.Signal(syscall.SIGUSR1); err != nil {
			t.Fatal(err)
		}
		rest, _ := io.ReadAll(br)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("ww: %v", err)
		}
		if r := parseReport(t, string(rest)); !slices.Equal(r.Signals, []int{int(syscall.SIGUSR1)}) {
			t.Errorf("container got %v, want [%d]", r.Signals, syscall.SIGUSR1)
		}
		assertNoContainer(t, usr1ID)
	})
	t.Run("runc kill KILL, ww exits 137", func(t *testing.T) {
		cmd := exec.Command(wwBin, "run", "--bundle", bundle, "--id", killID)
		cmd.Env = cleanEnv()
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		startSignalProbe(t, cmd, out)
		if b, err := exec.Command("runc", "kill", killID, "KILL").CombinedOutput(); err != nil {
			t.Fatalf("runc kill: %v: %s", err, b)
		}
		err = cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 137 {
			t.Errorf("ww: %v, want exit status 137", err)
		}
		assertNoContainer(t, killID)
	})
}

// TestBundleSystemd checks LISTEN_PID=1 in a container with its own pid
// namespace, and the refusal when it joins another.
func TestBundleSystemd(t *testing.T) {
	requireRunc(t)
	bundle := makeBundle(t, []string{"fds"}, nil)
	res := runWW(t, nil, cleanEnv(), "run", "--systemd", "--bundle", bundle, "--with-fd", "http=listen:tcp:127.0.0.1:0")
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	r := parseReport(t, res.stdout)
	for _, kv := range []string{"LISTEN_FDS=1", "LISTEN_FDNAMES=http", "LISTEN_PID=1", "WW_FD_HTTP=3"} {
		if !slices.Contains(r.Env, kv) {
			t.Errorf("container env lacks %s: %q", kv, r.Env)
		}
	}
	joined := makeBundle(t, []string{"fds"}, func(s *specs.Spec) {
		for i, ns := range s.Linux.Namespaces {
			if ns.Type == specs.PIDNamespace {
				s.Linux.Namespaces[i].Path = "/proc/1/ns/pid"
			}
		}
	})
	res = runWW(t, nil, cleanEnv(), "run", "--systemd", "--bundle", joined, "--with-fd", "http=listen:tcp:127.0.0.1:0")
	if res.code != 2 || !strings.Contains(res.stderr, "--systemd") || !strings.Contains(res.stderr, "/proc/1/ns/pid") {
		t.Errorf("exit %d, stderr %q; want 2 and a line naming --systemd and the namespace", res.code, res.stderr)
	}
}

// TestBundleTerminal runs a container with process.terminal under a
// pseudo terminal: the container's stdio is its own pty, its output
// reaches ww's terminal, and the status passes through.
func TestBundleTerminal(t *testing.T) {
	requireRunc(t)
	bundle := makeBundle(t, []string{"fds"}, func(s *specs.Spec) { s.Process.Terminal = true })
	cmd := exec.Command(wwBin, "run", "--bundle", bundle, "--with-fd", "in=0")
	cmd.Env = cleanEnv()
	pty, slave := onTerminal(t, cmd)
	if err := pty.Resize(console.WinSize{Height: 33, Width: 111}); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	var out bytes.Buffer
	buf := make([]byte, 4096)
	for {
		n, err := pty.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("ww: %v; output %q", err, out.String())
	}
	text := out.String()
	i := strings.Index(text, "{")
	if i < 0 {
		t.Fatalf("no report in %q", text)
	}
	r := parseReport(t, strings.TrimSpace(text[i:]))
	for fd := 0; fd < 3; fd++ {
		if !strings.HasPrefix(r.FDs[fd], "/dev/pts/") {
			t.Errorf("container fd %d is %q, want its pty", fd, r.FDs[fd])
		}
	}
	if got := r.wwVars(); !slices.Equal(got, []string{"WW_FD_IN=3"}) {
		t.Errorf("WW_FD_* = %q", got)
	}
	if !slices.Equal(r.WinSize, []int{33, 111}) {
		t.Errorf("container terminal is %v rows×columns, want ww's 33×111", r.WinSize)
	}
}
