package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fakeLower is a lower runtime that does no more than record each call,
// in dir: its arguments, its environment, its fd table, and the bundle's
// config.json as it found it. It lets the runtime path's argv, error,
// lock and fd handling run fast and without root, beside the tests that
// drive runc itself.
type fakeLower struct {
	path, dir string
}

// fakeCall is one recorded call.
type fakeCall struct {
	argv []string
	env  []string
	fds  map[int]string // fd number → what /proc says it is
	// parentFDs are the fds of its parent, ww, while it runs.
	parentFDs map[int]string
	config    []byte
}

func newFakeLower(t *testing.T, status int) *fakeLower {
	t.Helper()
	dir := t.TempDir()
	f := &fakeLower{path: filepath.Join(dir, "lower"), dir: filepath.Join(dir, "calls")}
	if err := os.Mkdir(f.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The script raises a soft fd limit that a test lowered for ww. It
	// holds no containers: asked by ww itself (without --log) whether one
	// exists, before ww cleans up after it, it says no, as runc does, and
	// records nothing. Its fd table is the one the probe, run with the
	// script's fds, reads of itself: a table no process but the reader
	// can change while it is read, and no fd of the reader's own in it.
	// It also has the probe list ww's fds (parentFDs), which do change
	// while it runs: the config's save lets its fds go then.
	script := `#!/bin/sh
case " $* " in
*" --log "*) ;;
*" state "*) echo "container does not exist" >&2; exit 1 ;;
esac
ulimit -Sn "$(ulimit -Hn)"
n=$(mktemp "` + f.dir + `/call.XXXXXX")
printf '%s\n' "$@" > "$n.argv"
env > "$n.env"
"` + probeBin + `" > "$n.fds"
"` + probeBin + `" fdsof $PPID > "$n.parentfds"
b=.
while [ $# -gt 0 ]; do
	case "$1" in
	--bundle|-b) b=$2; shift ;;
	--bundle=*|-b=*) b=${1#*=} ;;
	esac
	shift
done
[ -f "$b/config.json" ] && cat "$b/config.json" > "$n.config"
eval "$WW_FAKE_HOOK"
exit ` + strconv.Itoa(status) + "\n"
	if err := os.WriteFile(f.path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return f
}

// reset forgets the calls recorded so far.
func (f *fakeLower) reset(t *testing.T) {
	t.Helper()
	if err := os.RemoveAll(f.dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(f.dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

// calls returns the calls recorded so far.
func (f *fakeLower) calls(t *testing.T) []fakeCall {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(f.dir, "call.??????"))
	if err != nil {
		t.Fatal(err)
	}
	var calls []fakeCall
	for _, n := range names {
		var c fakeCall
		argv, _ := os.ReadFile(n + ".argv")
		c.argv = strings.Split(strings.TrimSuffix(string(argv), "\n"), "\n")
		env, _ := os.ReadFile(n + ".env")
		c.env = strings.Split(string(env), "\n")
		c.config, _ = os.ReadFile(n + ".config")
		c.fds = readProbeFDs(n + ".fds")
		c.parentFDs = readProbeFDs(n + ".parentfds")
		calls = append(calls, c)
	}
	return calls
}

// readProbeFDs reads the fd table of the probe's report at path; a call
// still running may have written none yet.
func readProbeFDs(path string) map[int]string {
	var r struct {
		FDs map[int]string `json:"fds"`
	}
	b, _ := os.ReadFile(path)
	json.Unmarshal(b, &r)
	return r.FDs
}

// configEnv is process.env of a recorded or written config.
func configEnv(t *testing.T, config []byte) []string {
	t.Helper()
	var c struct{ Process struct{ Env []string } }
	if err := json.Unmarshal(config, &c); err != nil {
		t.Fatalf("config %q: %v", config, err)
	}
	return c.Process.Env
}

// wwVarsOf is the WW_FD_* and LISTEN_* entries of env.
func wwVarsOf(env []string) []string {
	var vars []string
	for _, kv := range env {
		if strings.HasPrefix(kv, "WW_FD_") || strings.HasPrefix(kv, "LISTEN_") {
			vars = append(vars, kv)
		}
	}
	return vars
}

// fakeBundle writes a bundle whose config holds only what ww reads.
func fakeBundle(t *testing.T, annotations map[string]string, env []string, namespaces ...map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	writeConfig(t, dir, annotations, env, namespaces...)
	return dir
}

// writeConfig writes a config with a pid namespace and namespaces.
func writeConfig(t *testing.T, dir string, annotations map[string]string, env []string, namespaces ...map[string]string) {
	t.Helper()
	cfg := map[string]any{
		"ociVersion":  "1.2.0",
		"process":     map[string]any{"args": []string{"/probe"}, "cwd": "/", "env": env},
		"root":        map[string]any{"path": "rootfs"},
		"annotations": annotations,
		"linux":       map[string]any{"namespaces": append([]map[string]string{{"type": "pid"}}, namespaces...)},
	}
	data, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// runtimeCall is one call of ww runtime with a fake lower runtime.
type runtimeCall struct {
	lower  *fakeLower
	log    string
	env    []string
	extra  []*os.File
	prefix string // a shell line run before ww, as "ulimit -n 64;"
}

func newRuntimeCall(t *testing.T, lower *fakeLower) *runtimeCall {
	t.Helper()
	return &runtimeCall{lower: lower, log: filepath.Join(t.TempDir(), "log.json"),
		env: append(cleanEnv(), "WW_LOWER_RUNTIME="+lower.path)}
}

// run runs ww runtime --log LOG --log-format json ARGS and returns its
// stdout and status.
func (r *runtimeCall) run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	argv := append([]string{"runtime", "--root", "/run/ww-test-fake", "--log", r.log, "--log-format", "json"}, args...)
	cmd := exec.Command(wwBin, argv...)
	if r.prefix != "" {
		cmd = exec.Command("/bin/sh", append([]string{"-c", r.prefix + ` exec "$0" "$@"`, wwBin}, argv...)...)
	}
	cmd.Env, cmd.ExtraFiles = r.env, r.extra
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	if stderr.Len() > 0 {
		t.Errorf("stderr: %q", stderr.String())
	}
	return out.String(), 0
}

// logLine returns the one JSON error line of the log, failing the test
// if there is not exactly one.
func (r *runtimeCall) logLine(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(r.log)
	if err != nil {
		t.Fatalf("no log: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var line struct{ Level, Msg, Time string }
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &line) != nil || line.Level != "error" || line.Time == "" {
		t.Fatalf("log %q, want one JSON error line", b)
	}
	return line.Msg
}
