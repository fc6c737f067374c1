package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ww-dev/ww/hook"
)

// holdsSocket reports whether process pid holds the socket of inode ino.
func holdsSocket(t *testing.T, pid int, ino uint64) bool {
	t.Helper()
	fds, err := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		if target, _ := os.Readlink(fd); target == fmt.Sprintf("socket:[%d]", ino) {
			return true
		}
	}
	return false
}

// recordPath is where the tests' folder keeps the record of container id
// under runc root root.
func recordPath(t *testing.T, id, root string) string {
	t.Helper()
	name, err := hook.Name(id, root)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(stateDir, name)
}

// readRecord reads the record of container id under runc root root in
// the tests' folder (other tests, or another run of this one, may have
// left records of the same ID under other roots).
func readRecord(t *testing.T, id, root string) hook.Record {
	t.Helper()
	b, err := os.ReadFile(recordPath(t, id, root))
	if err != nil {
		t.Fatal(err)
	}
	var r hook.Record
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// runHook runs ww hook stage with the state st on stdin.
func runHook(t *testing.T, stage string, st specs.State) error {
	t.Helper()
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(wwBin, "hook", stage)
	cmd.Stdin = bytes.NewReader(data)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

// TestPodHooks: a pod whose configs carry ww's hooks (as a hooks.d folder
// gives them, matched on the pod's annotations), through ww runtime with
// hooks: true in the node policy. The sandbox, which holds the pod's
// listeners without WW_FD_*, is created (the hook has nothing to prove of
// it); the app container, which takes them from the sandbox, is created
// (its record names the sandbox's sockets, which it holds); the socket
// file of its own listen:unix: path is made on the node, the abstract
// socket the sandbox holds has none. Deleting the app container (the
// poststop hook) removes its socket file and record, and leaves the
// sandbox holding both sockets; a restart gets them again. The hook on
// the sandbox's own state proves and cleans up nothing and fails nothing.
// ww logs no warning about the container's socket path, which is the
// container's own, not one the sandbox failed to give.
func TestPodHooks(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte(runtimePolicyYAML+"hooks: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "web.sock")
	p := newTestPod(t, map[string]string{
		"fd.ww.dev/http":     "listen:tcp::8080",
		"fd.ww.dev/ctl":      "listen:unix:@" + testID("ww-pod-hooks"),
		"web.fd.ww.dev/sock": "listen:unix:" + sock,
	})
	p.ww.env = withPolicy(p.ww.env, policy)
	p.hooks = testHooks()
	p.startSandbox(p.ww)
	sb := p.runc.state(p.sandbox)
	held, err := readPodRecord(sb.Bundle)
	if err != nil {
		t.Fatal(err)
	}
	if len(held.Listeners) != 2 {
		t.Fatalf("the sandbox holds %+v, want ctl and http", held.Listeners)
	}
	if rs := records(t, p.sandbox); len(rs) != 0 {
		t.Errorf("container records %q of the sandbox", rs)
	}
	if h := configHooks(t, sb.Bundle); len(h.CreateRuntime) != 1 || len(h.Poststop) != 1 {
		t.Errorf("the sandbox's hooks %+v, want its own one of each", h)
	}
	for _, stage := range []string{stageCreateRuntime, stagePoststop} {
		st := specs.State{ID: p.sandbox, Pid: sb.Pid, Bundle: sb.Bundle, Annotations: sb.Annotations}
		if err := runHook(t, stage, st); err != nil {
			t.Errorf("ww hook %s of the sandbox: %v", stage, err)
		}
	}
	if _, err := readPodRecord(sb.Bundle); err != nil {
		t.Errorf("after ww hook poststop of the sandbox's state: %v", err)
	}
	inodes := map[string]uint64{}
	for _, h := range held.Listeners {
		inodes[strings.TrimPrefix(h.Key, "fd.ww.dev/")] = h.Inode
	}
	for i := range 2 {
		id := p.startApp("web", nil)
		app := p.runc.state(id)
		if h := configHooks(t, app.Bundle); len(h.CreateRuntime) != 1 || len(h.Poststop) != 1 {
			t.Errorf("start %d: the app's hooks %+v, want one of each", i, h)
		}
		rec := readRecord(t, id, p.ww.root)
		for _, fd := range rec.FDs {
			if want, ok := inodes[fd.Name]; ok && fd.Ino != want {
				t.Errorf("start %d: record of %s: socket %d, want the sandbox's %d", i, fd.Name, fd.Ino, want)
			}
		}
		if len(rec.FDs) != 3 || len(rec.Files) != 1 || rec.Files[0].Path != sock {
			t.Errorf("start %d: record fds %+v, files %+v: want ctl, http, sock, and the file %s alone", i, rec.FDs, rec.Files, sock)
		}
		if _, err := os.Lstat(sock); err != nil {
			t.Errorf("start %d: %v", i, err)
		}
		p.stop(id)
		if _, err := os.Lstat(sock); err == nil {
			t.Errorf("start %d: socket file %s outlived the container", i, sock)
		}
		if _, err := os.Lstat(recordPath(t, id, p.ww.root)); err == nil {
			t.Errorf("start %d: the record of %s outlived the container", i, id)
		}
		for name, ino := range inodes {
			if !holdsSocket(t, sb.Pid, ino) {
				t.Errorf("start %d: the sandbox no longer holds %s (socket %d)", i, name, ino)
			}
		}
	}
	// The container's own socket path is no listener of the pod's: no
	// warning that the sandbox did not give it.
	if b, _ := os.ReadFile(p.ww.log); strings.Contains(string(b), "pod sandbox") {
		t.Errorf("ww's warning in the runtime log: %s", b)
	}
}

// TestSandboxNoHooks: with hooks: true in the node policy, a sandbox's
// config is not edited: ww's hooks would have nothing to prove or clean
// up for it, and would cost two processes per pod.
func TestSandboxNoHooks(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte(runtimePolicyYAML+"hooks: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lower := newFakeLower(t, 0)
	r := newRuntimeCall(t, lower)
	r.env = withPolicy(r.env, policy)
	bundle := fakeBundle(t, map[string]string{
		"io.kubernetes.cri.container-type": "sandbox",
		"io.kubernetes.cri.sandbox-id":     "sb",
		"fd.ww.dev/http":                   "listen:tcp:127.0.0.1:0",
	}, []string{"PATH=/bin"})
	before, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, code := r.run(t, "create", "--bundle", bundle, "sb"); code != 0 {
		b, _ := os.ReadFile(r.log)
		t.Fatalf("exit %d; log %s", code, b)
	}
	calls := lower.calls(t)
	if len(calls) != 1 {
		t.Fatalf("%d calls of the lower runtime, want 1", len(calls))
	}
	if !bytes.Equal(calls[0].config, before) {
		t.Fatalf("the config the lower runtime read: %s; want it as it was: %s", calls[0].config, before)
	}
	if !strings.HasPrefix(calls[0].fds[3], "socket:[") {
		t.Errorf("the lower runtime's fds %v: want the pod's listener at 3", calls[0].fds)
	}
}

// TestPodCreateStateCalls: a create of a pod's app container asks the
// lower runtime's state once, of its sandbox; only when a record of an
// earlier container of the same ID is left does it also ask of that ID,
// before it cleans the record up. Two questions about two containers:
// runc answers one per call.
func TestPodCreateStateCalls(t *testing.T) {
	lower := newFakeLower(t, 0)
	dir := t.TempDir()
	asked := filepath.Join(dir, "asked")
	counting := filepath.Join(dir, "lower")
	script := "#!/bin/sh\ncase \" $* \" in *\" state \"*) echo \"$*\" >> " + asked + " ;; esac\nexec " + lower.path + " \"$@\"\n"
	if err := os.WriteFile(counting, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	r := newRuntimeCall(t, lower)
	r.env = append(withoutEnv(r.env, "WW_LOWER_RUNTIME="+lower.path), "WW_LOWER_RUNTIME="+counting)
	bundle := fakeBundle(t, map[string]string{
		"io.kubernetes.cri.container-type": "container",
		"io.kubernetes.cri.sandbox-id":     "sb",
		"fd.ww.dev/http":                   "listen:tcp:127.0.0.1:0",
	}, []string{"PATH=/bin"})
	id := testID("ww-pod-state")
	t.Cleanup(func() {
		for _, name := range records(t, id) {
			os.Remove(name)
		}
	})
	for _, want := range [][]string{{"state sb"}, {"state sb", "state " + id}} {
		os.Remove(asked)
		if _, code := r.run(t, "create", "--bundle", bundle, id); code != 0 {
			b, _ := os.ReadFile(r.log)
			t.Fatalf("exit %d; log %s", code, b)
		}
		b, _ := os.ReadFile(asked)
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if _, call, ok := strings.Cut(line, " state "); ok {
				got = append(got, "state "+call)
			}
		}
		if strings.Join(got, ", ") != strings.Join(want, ", ") {
			t.Errorf("state calls %q, want %q", got, want)
		}
	}
}
