package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestRuntimePolicy: the node policy judges every annotation before
// anything is opened; a refusal names the annotation, the source, the
// namespace and the policy, calls no lower runtime and leaves the config
// as it was. A policy that cannot be used refuses every request, while a
// container that asks for nothing still runs.
func TestRuntimePolicy(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	missing := filepath.Join(dir, "none.yaml")
	garbage := write("garbage.yaml", "version: 1\nraw: [{files: 3}]\n", 0o644)
	writable := write("writable.yaml", "version: 1\n", 0o664)
	shopNS := map[string]string{"io.kubernetes.cri.sandbox-namespace": "shop"}
	tests := []struct {
		name    string
		policy  string
		ann     map[string]string
		granted bool
		want    []string // what the refusal says
	}{
		{"no policy, file from @local: refused", missing, map[string]string{"fd.ww.dev/db": "file:/etc/hostname"}, false,
			[]string{`annotation "fd.ww.dev/db": "file:/etc/hostname": not allowed for namespace "@local" by the default node policy (no file at ` + missing + ")"}},
		{"no policy, listener of @local on the node: granted", missing, map[string]string{"fd.ww.dev/web": "listen:tcp:127.0.0.1:0"}, true, nil},
		{"no policy, listener of a pod on the node: refused", missing,
			merge(shopNS, map[string]string{"fd.ww.dev/web": "listen:tcp:127.0.0.1:0"}), false,
			[]string{`"fd.ww.dev/web"`, `"shop"`}},
		{"invalid policy: refused with its error", garbage, map[string]string{"fd.ww.dev/web": "listen:tcp:127.0.0.1:0"}, false,
			[]string{`"fd.ww.dev/web"`, "every fd request is refused", garbage, "raw[0]"}},
		{"invalid policy, nothing asked: runs", garbage, nil, true, nil},
		{"group-writable policy: refused", writable, map[string]string{"fd.ww.dev/web": "listen:tcp:127.0.0.1:0"}, false,
			[]string{`"fd.ww.dev/web"`, "writable by its group"}},
		{"namespace keys that disagree: refused", missing,
			map[string]string{"io.kubernetes.cri.sandbox-namespace": "shop", "io.kubernetes.pod.namespace": "kube-system",
				"fd.ww.dev/web": "listen:tcp:127.0.0.1:0"}, false,
			[]string{`"fd.ww.dev/web"`, "shop", "kube-system"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lower := newFakeLower(t, 0)
			r := newRuntimeCall(t, lower)
			r.env = append(r.env, "WW_POLICY="+tt.policy)
			env := []string{"PATH=/bin"}
			if tt.ann == nil {
				env = append(env, "WW_FD_OLD=3") // a stale variable: ww edits, with no request
			}
			bundle := fakeBundle(t, tt.ann, env)
			config, _ := os.ReadFile(filepath.Join(bundle, "config.json"))
			_, code := r.run(t, "create", "--bundle", bundle, "policy")
			calls := len(lower.calls(t))
			if tt.granted {
				if code != 0 || calls != 1 {
					b, _ := os.ReadFile(r.log)
					t.Fatalf("exit %d, %d calls; log %s", code, calls, b)
				}
				return
			}
			if code != 1 || calls != 0 {
				t.Errorf("exit %d, %d calls of the lower runtime; want 1, none", code, calls)
			}
			msg := r.logLine(t)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("log %q does not say %q", msg, w)
				}
			}
			if after, _ := os.ReadFile(filepath.Join(bundle, "config.json")); !bytes.Equal(after, config) {
				t.Errorf("config changed")
			}
		})
	}
}

func merge(a, b map[string]string) map[string]string {
	m := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}

// TestRuntimePolicyAudit: with audit set, every decision, grant or
// refusal, is one JSON line naming the container, the namespace, the
// annotation, the source and the verdict.
func TestRuntimePolicyAudit(t *testing.T) {
	dir := t.TempDir()
	audit := filepath.Join(dir, "audit.jsonl")
	policyPath := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policyPath, []byte("version: 1\naudit: "+audit+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i, ann := range []map[string]string{
		{"fd.ww.dev/web": "listen:tcp:127.0.0.1:0"},
		{"fd.ww.dev/db": "file:/etc/hostname"},
	} {
		r := newRuntimeCall(t, newFakeLower(t, 0))
		r.env = append(r.env, "WW_POLICY="+policyPath)
		if _, code := r.run(t, "create", "--bundle", fakeBundle(t, ann, nil), "audit"+string(rune('a'+i))); code != i {
			t.Errorf("create %d: exit %d, want %d", i, code, i)
		}
	}
	b, err := os.ReadFile(audit)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("audit %q, want two lines", b)
	}
	for i, want := range []struct{ id, key, verdict string }{
		{"audita", "fd.ww.dev/web", "granted"}, {"auditb", "fd.ww.dev/db", "refused"},
	} {
		var rec map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &rec); err != nil {
			t.Fatalf("line %q: %v", lines[i], err)
		}
		line := lines[i]
		if !strings.Contains(line, `"`+want.id+`"`) || !strings.Contains(line, want.key) || !strings.Contains(line, want.verdict) || !strings.Contains(line, "@local") {
			t.Errorf("audit line %s; want container %s, %s, %s, @local", line, want.id, want.key, want.verdict)
		}
	}
}

// TestRuntimePolicyEscapes: a path a raw rule allows is resolved without
// leaving its folder; each way out is refused with nothing opened and the
// lower runtime never called.
func TestRuntimePolicyEscapes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a device node")
	}
	shared := t.TempDir()
	for name, target := range map[string]string{"shadow": "/etc/shadow", "up": "..", "proc": "/proc/self/root/etc/shadow"} {
		if err := os.Symlink(target, filepath.Join(shared, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := unix.Mknod(filepath.Join(shared, "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(shared, "ok.txt"), []byte("ok"), 0o644); err != nil {
		t.Fatal(err)
	}
	policyPath := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policyPath, []byte("version: 1\nraw:\n  - namespaces: [\"@local\"]\n    files: ["+shared+"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, source string
		granted      bool
	}{
		{"a file in the folder: opened", "file:" + shared + "/ok.txt", true},
		{"a symlink to /etc/shadow: refused", "file:" + shared + "/shadow", false},
		{"a symlink to the parent: refused", "file:" + shared + "/up/x", false},
		{"a /proc magic link: refused", "file:" + shared + "/proc", false},
		{"a device node: refused", "file:" + shared + "/null", false},
		{"..: refused", "file:" + shared + "/../x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lower := newFakeLower(t, 0)
			r := newRuntimeCall(t, lower)
			r.env = append(r.env, "WW_POLICY="+policyPath)
			bundle := fakeBundle(t, map[string]string{"fd.ww.dev/f": tt.source}, nil)
			_, code := r.run(t, "create", "--bundle", bundle, "escape")
			calls := lower.calls(t)
			if tt.granted {
				if code != 0 || len(calls) != 1 || calls[0].fds[3] != shared+"/ok.txt" {
					t.Errorf("exit %d, %d calls; want the file at fd 3", code, len(calls))
				}
				return
			}
			if code != 1 || len(calls) != 0 {
				t.Errorf("exit %d, %d calls; want a refusal", code, len(calls))
			}
			if msg := r.logLine(t); !strings.Contains(msg, `"fd.ww.dev/f"`) {
				t.Errorf("log %q does not name the annotation", msg)
			}
		})
	}
}
