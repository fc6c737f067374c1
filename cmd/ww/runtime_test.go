package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// shim drives ww runtime as containerd's shim drives runc: with --root,
// --log and --log-format json before every command.
type shim struct {
	t         *testing.T
	bin, root string
	log       string
	env       []string
}

func newShim(t *testing.T, bin string) *shim {
	t.Helper()
	dir := t.TempDir()
	return &shim{t: t, bin: bin, root: filepath.Join(dir, "root"), log: filepath.Join(dir, "log.json"), env: cleanEnv()}
}

// cmd builds one runtime call; the caller sets stdio and extra files.
func (s *shim) cmd(args ...string) *exec.Cmd {
	argv := append([]string{"--root", s.root, "--log", s.log, "--log-format", "json"}, args...)
	if s.bin == wwBin {
		argv = append([]string{"runtime"}, argv...)
	}
	cmd := exec.Command(s.bin, argv...)
	cmd.Env = s.env
	return cmd
}

// run makes one call and returns its stdout and exit status.
func (s *shim) run(args ...string) (string, int) {
	s.t.Helper()
	cmd := s.cmd(args...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), ee.ExitCode()
	}
	if err != nil {
		s.t.Fatal(err)
	}
	return out.String(), 0
}

func (s *shim) state(id string) specs.State {
	s.t.Helper()
	out, code := s.run("state", id)
	var st specs.State
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil {
		s.t.Fatalf("state %s: exit %d, %q", id, code, out)
	}
	return st
}

// annotated makes a bundle whose config asks for fds by annotation.
func annotated(t *testing.T, args []string, annotations map[string]string) string {
	t.Helper()
	return makeBundle(t, args, func(s *specs.Spec) { s.Annotations = annotations })
}

// createContainer runs "create" with the probe's output going to a file.
func (s *shim) create(id, bundle string, extra []*os.File, flags ...string) (out string, code int) {
	s.t.Helper()
	out = filepath.Join(s.t.TempDir(), "out")
	f, err := os.Create(out)
	if err != nil {
		s.t.Fatal(err)
	}
	defer f.Close()
	args := append([]string{"create", "--bundle", bundle, "--pid-file", filepath.Join(bundle, "init.pid")}, flags...)
	cmd := s.cmd(append(args, id)...)
	cmd.Stdout, cmd.Stderr, cmd.ExtraFiles = f, f, extra
	s.t.Cleanup(func() { exec.Command("runc", "--root", s.root, "delete", "--force", id).Run() })
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out, ee.ExitCode()
	case err != nil:
		s.t.Fatal(err)
	}
	return out, 0
}

// waitReport waits for the probe's JSON report in the file out.
func waitReport(t *testing.T, out string) report {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(out)
		if i := bytes.IndexByte(b, '{'); i >= 0 && bytes.HasSuffix(b, []byte("\n")) {
			return parseReport(t, string(b[i:]))
		}
		time.Sleep(20 * time.Millisecond)
	}
	b, _ := os.ReadFile(out)
	t.Fatalf("no report from the container: %q", b)
	return report{}
}

// TestRuntimeLifecycle drives the whole lifecycle through ww runtime:
// create (with annotations), start, state, exec, kill, delete.
func TestRuntimeLifecycle(t *testing.T) {
	requireRunc(t)
	s := newShim(t, wwBin)
	logFile := filepath.Join(t.TempDir(), "app.log")
	bundle := annotated(t, []string{"signals", "1"}, map[string]string{
		"fd.ww.dev/web":                    "listen:tcp:127.0.0.1:0",
		"fd.ww.dev/log":                    "file:" + logFile + "?mode=a&create=0600",
		"app.fd.ww.dev/log":                "file:" + logFile + "?mode=w&create=0600",
		"io.kubernetes.cri.container-name": "app",
	})
	id := "ww-rt-life"
	out, code := s.create(id, bundle, nil)
	if code != 0 {
		b, _ := os.ReadFile(s.log)
		t.Fatalf("create: exit %d; log %s", code, b)
	}
	if st := s.state(id); st.Status != specs.StateCreated {
		t.Fatalf("state after create: %s", st.Status)
	}
	if _, code := s.run("start", id); code != 0 {
		t.Fatalf("start: exit %d", code)
	}
	if st := s.state(id); st.Status != specs.StateRunning {
		t.Fatalf("state after start: %s", st.Status)
	}
	// exec passes through, status and all.
	if _, code := s.run("exec", id, "/probe", "exit", "3"); code != 3 {
		t.Errorf("exec: exit %d, want 3", code)
	}
	if _, code := s.run("kill", id, "USR1"); code != 0 {
		t.Fatalf("kill: exit %d", code)
	}
	r := waitReport(t, out)
	if want := []string{"WW_FD_LOG=3", "WW_FD_WEB=4"}; !slices.Equal(r.wwVars(), want) {
		t.Errorf("WW_FD_* = %q, want %q", r.wwVars(), want)
	}
	if len(r.FDs) != 5 || !strings.HasSuffix(r.FDs[3], "/app.log") || !strings.HasPrefix(r.FDs[4], "socket:") {
		t.Errorf("container fds %v, want app.log at 3, a socket at 4, nothing else", r.FDs)
	}
	if !slices.Equal(r.Signals, []int{10}) {
		t.Errorf("container got signals %v, want [10]", r.Signals)
	}
	waitStopped(t, s, id)
	if _, code := s.run("delete", id); code != 0 {
		t.Errorf("delete: exit %d", code)
	}
	if _, code := s.run("state", id); code == 0 {
		t.Errorf("state after delete succeeded")
	}
}

func waitStopped(t *testing.T, s *shim, id string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if s.state(id).Status == specs.StateStopped {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("container %s did not stop", id)
}

// TestRuntimeCallerFDs checks that the caller's own fds keep their
// numbers (LISTEN_FDS first, then --preserve-fds) and ww's follow.
func TestRuntimeCallerFDs(t *testing.T) {
	requireRunc(t)
	ann := map[string]string{"fd.ww.dev/db": "node:null"}
	t.Run("--preserve-fds 2, ww's fd at 5", func(t *testing.T) {
		s := newShim(t, wwBin)
		bundle := annotated(t, []string{"fds"}, ann)
		out, code := s.create("ww-rt-preserve", bundle, tempFiles(t, 2), "--preserve-fds", "2")
		if code != 0 {
			b, _ := os.ReadFile(s.log)
			t.Fatalf("create: exit %d; log %s", code, b)
		}
		s.run("start", "ww-rt-preserve")
		r := waitReport(t, out)
		if !slices.Equal(r.wwVars(), []string{"WW_FD_DB=5"}) || len(r.FDs) != 6 ||
			!strings.HasSuffix(r.FDs[3], "/f0") || !strings.HasSuffix(r.FDs[4], "/f1") || r.FDs[5] != "/dev/null" {
			t.Errorf("WW_FD_* %q, fds %v; want f0 at 3, f1 at 4, /dev/null at 5 named db", r.wwVars(), r.FDs)
		}
	})
	t.Run("LISTEN_FDS 1 and --preserve-fds 1, ww's fd at 5", func(t *testing.T) {
		s := newShim(t, "/bin/sh")
		bundle := annotated(t, []string{"fds"}, ann)
		// The shell's pid is the runtime's after exec: LISTEN_PID matches.
		s.bin = "/bin/sh"
		script := `LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" runtime "$@"`
		wrap := func(args ...string) *exec.Cmd {
			argv := append([]string{"-c", script, wwBin, "--root", s.root, "--log", s.log, "--log-format", "json"}, args...)
			cmd := exec.Command("/bin/sh", argv...)
			cmd.Env = s.env
			return cmd
		}
		out := filepath.Join(t.TempDir(), "out")
		f, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd := wrap("create", "--bundle", bundle, "--preserve-fds", "1", "ww-rt-listen")
		cmd.Stdout, cmd.Stderr, cmd.ExtraFiles = f, f, tempFiles(t, 2)
		t.Cleanup(func() { exec.Command("runc", "--root", s.root, "delete", "--force", "ww-rt-listen").Run() })
		if err := cmd.Run(); err != nil {
			b, _ := os.ReadFile(s.log)
			t.Fatalf("create: %v; log %s", err, b)
		}
		if err := wrap("start", "ww-rt-listen").Run(); err != nil {
			t.Fatal(err)
		}
		r := waitReport(t, out)
		if !slices.Equal(r.wwVars(), []string{"WW_FD_DB=5"}) || len(r.FDs) != 6 ||
			!strings.HasSuffix(r.FDs[3], "/f0") || !strings.HasSuffix(r.FDs[4], "/f1") || r.FDs[5] != "/dev/null" {
			t.Errorf("WW_FD_* %q, fds %v; want f0 at 3 (LISTEN_FDS), f1 at 4, /dev/null at 5 named db", r.wwVars(), r.FDs)
		}
		if !slices.Contains(r.Env, "LISTEN_FDS=1") || !slices.Contains(r.Env, "LISTEN_PID=1") {
			t.Errorf("runc did not forward the socket-activation fd: env %q", r.Env)
		}
	})
}

// TestRuntimePassThrough checks that a bundle without requests, and a
// sandbox, are not touched, and that ww-runtime works under that name.
func TestRuntimePassThrough(t *testing.T) {
	requireRunc(t)
	link := filepath.Join(t.TempDir(), "ww-runtime")
	if err := os.Symlink(wwBin, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		ann  map[string]string
	}{
		{"no annotations, config untouched", nil},
		{"sandbox with fd annotation, config untouched", map[string]string{
			"io.kubernetes.cri.container-type": "sandbox", "fd.ww.dev/db": "node:null"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newShim(t, link)
			bundle := annotated(t, []string{"fds"}, tc.ann)
			config, _ := os.ReadFile(filepath.Join(bundle, "config.json"))
			out, code := s.create("ww-rt-pass", bundle, nil)
			if code != 0 {
				b, _ := os.ReadFile(s.log)
				t.Fatalf("create: exit %d; log %s", code, b)
			}
			s.run("start", "ww-rt-pass")
			r := waitReport(t, out)
			if len(r.wwVars()) != 0 || len(r.FDs) != 3 {
				t.Errorf("container got WW_FD_* %q, fds %v; want none", r.wwVars(), r.FDs)
			}
			if after, _ := os.ReadFile(filepath.Join(bundle, "config.json")); !bytes.Equal(config, after) {
				t.Errorf("config.json was changed")
			}
		})
	}
}
