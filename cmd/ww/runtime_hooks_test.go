package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// withPolicy is env with the node policy at path.
func withPolicy(env []string, path string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "WW_POLICY=") {
			out = append(out, kv)
		}
	}
	return append(out, "WW_POLICY="+path)
}

// configHooks reads the hooks of a bundle's config.
func configHooks(t *testing.T, bundle string) *specs.Hooks {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s.Hooks
}

// TestRuntimeHooksPolicy: with hooks: true in the node policy, ww runtime
// adds ww hook's createRuntime and poststop hooks to the config (once,
// however often the bundle is created), runc runs them (the proof passes,
// the socket file goes with the container even when runc itself deletes
// it); without the key, the config gets no hooks.
func TestRuntimeHooksPolicy(t *testing.T) {
	requireRunc(t)
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte(runtimePolicyYAML+"hooks: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newShim(t, wwBin)
	s.env = withPolicy(s.env, policy)
	sock := filepath.Join(t.TempDir(), "s.sock")
	bundle := annotated(t, []string{"fds"}, map[string]string{"fd.ww.dev/s": "listen:unix:" + sock})
	for i, id := range []string{testID("ww-hooks-1"), testID("ww-hooks-2")} {
		if _, code := s.create(id, bundle, nil); code != 0 {
			b, _ := os.ReadFile(s.log)
			t.Fatalf("create %d: exit %d; log %s", i, code, lastLines(b, 3))
		}
		h := configHooks(t, bundle)
		if h == nil || len(h.CreateRuntime) != 1 || len(h.Poststop) != 1 {
			t.Fatalf("create %d: hooks %+v, want one createRuntime and one poststop", i, h)
		}
		cr := h.CreateRuntime[0]
		if cr.Path != wwBin || strings.Join(cr.Args, " ") != "ww hook createRuntime" || cr.Timeout == nil ||
			strings.Join(cr.Env, " ") != hookEnv+" WW_STATE_DIR="+stateDir {
			t.Errorf("createRuntime hook %+v", cr)
		}
		if out, err := exec.Command("runc", "--root", s.root, "delete", "--force", id).CombinedOutput(); err != nil {
			t.Fatalf("runc delete: %v: %s", err, out)
		}
		if _, err := os.Lstat(sock); err == nil {
			t.Errorf("create %d: socket file outlived the container", i)
		}
	}
	plain := annotated(t, []string{"fds"}, map[string]string{"fd.ww.dev/host": "file:/etc/hostname"})
	s.env = cleanEnv()
	if _, code := s.create(testID("ww-hooks-off"), plain, nil); code != 0 {
		t.Fatalf("create without the key: exit %d", code)
	}
	if h := configHooks(t, plain); h != nil && (len(h.CreateRuntime) > 0 || len(h.Poststop) > 0) {
		t.Errorf("hooks %+v without hooks: true", h)
	}
}
