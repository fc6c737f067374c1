package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// testHooks are ww hook's createRuntime and poststop hooks as a config
// carries them, with the tests' records folder.
func testHooks() *specs.Hooks {
	h := func(stage string) []specs.Hook {
		timeout := 10
		return []specs.Hook{{Path: wwBin, Args: []string{"ww", "hook", stage}, Env: []string{"WW_STATE_DIR=" + stateDir}, Timeout: &timeout}}
	}
	return &specs.Hooks{CreateRuntime: h("createRuntime"), Poststop: h("poststop")}
}

// hooked makes a bundle that asks for annotations and runs ww's hooks,
// after the createRuntime hooks in before.
func hooked(t *testing.T, args []string, annotations map[string]string, before ...specs.Hook) string {
	t.Helper()
	return makeBundle(t, args, func(s *specs.Spec) {
		s.Annotations = annotations
		s.Hooks = testHooks()
		s.Hooks.CreateRuntime = append(before, s.Hooks.CreateRuntime...)
	})
}

// records lists the records in the tests' folder of container id.
func records(t *testing.T, id string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(stateDir, id+"@*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestHookDelivered: through ww runtime, a container whose config runs
// ww hook createRuntime is created (the hook found every fd as ww opened
// it); deleting it runs ww hook poststop, which removes the socket file
// ww bound and the record, and leaves the file that was there before
// and the one ww made with create= (the container may have written it).
func TestHookDelivered(t *testing.T) {
	requireRunc(t)
	s := newShim(t, wwBin)
	dir := t.TempDir()
	sock, pre, made := filepath.Join(dir, "s.sock"), filepath.Join(dir, "pre.log"), filepath.Join(dir, "made.log")
	if err := os.WriteFile(pre, []byte("before\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bundle := hooked(t, []string{"fds"}, map[string]string{
		"fd.ww.dev/s":    "listen:unix:" + sock,
		"fd.ww.dev/pre":  "file:" + pre + "?mode=a&create=0600",
		"fd.ww.dev/made": "file:" + made + "?mode=a&create=0600",
		"fd.ww.dev/host": "file:/etc/hostname",
	})
	id := testID("ww-hook-ok")
	if _, code := s.create(id, bundle, nil); code != 0 {
		b, _ := os.ReadFile(s.log)
		t.Fatalf("create: exit %d; log %s", code, lastLines(b, 3))
	}
	if st := s.state(id); st.Status != specs.StateCreated {
		t.Fatalf("state after create: %s", st.Status)
	}
	if n := len(records(t, id)); n != 1 {
		t.Fatalf("%d records of the container, want 1", n)
	}
	// runc itself, not ww runtime's delete: the poststop hook cleans up.
	if out, err := exec.Command("runc", "--root", s.root, "delete", "--force", id).CombinedOutput(); err != nil {
		t.Fatalf("runc delete: %v: %s", err, out)
	}
	if _, err := os.Lstat(sock); err == nil {
		t.Errorf("socket file %s outlived its container", sock)
	}
	for _, p := range []string{pre, made} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s: %v, want it kept", p, err)
		}
	}
	if r := records(t, id); len(r) != 0 {
		t.Errorf("records %q outlived the container", r)
	}
}

// TestHookPlainRunc: the same kind of bundle through plain runc fails
// its creation with the hook's one line, naming the container, the names
// and the likely cause; at createRuntime, and at prestart, its deprecated
// twin.
func TestHookPlainRunc(t *testing.T) {
	for _, stage := range []string{stageCreateRuntime, stagePrestart} {
		t.Run(stage, func(t *testing.T) { testHookPlainRunc(t, stage) })
	}
}

func testHookPlainRunc(t *testing.T, stage string) {
	requireRunc(t)
	dir := t.TempDir()
	bundle := makeBundle(t, []string{"fds"}, func(s *specs.Spec) {
		s.Annotations = map[string]string{
			"fd.ww.dev/s":    "listen:unix:" + filepath.Join(dir, "s.sock"),
			"fd.ww.dev/host": "file:/etc/hostname",
		}
		s.Hooks = testHooks()
		if stage == stagePrestart {
			h := s.Hooks.CreateRuntime
			h[0].Args[2] = stagePrestart
			//lint:ignore SA1019 the deprecated stage is what this case runs
			s.Hooks.Prestart, s.Hooks.CreateRuntime = h, nil
		}
	})
	id := testID("ww-hook-plain-" + strings.ToLower(stage))
	root := filepath.Join(dir, "root")
	out, err := exec.Command("runc", "--root", root, "create", "--bundle", bundle, id).CombinedOutput()
	t.Cleanup(func() { exec.Command("runc", "--root", root, "delete", "--force", id).Run() })
	if err == nil {
		t.Fatalf("runc create of a container without its fds worked: %s", out)
	}
	// runc quotes the hook's stderr in its own message.
	for _, want := range []string{
		`stderr: ww: ww hook ` + stage + `: container \"` + id + `\": fds host, s were not delivered: ` +
			`ww runtime has no record of this container: it was not started through ww-runtime: check its RuntimeClass (or the engine's runtime)\n"`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("runc create said %s\nwant it to contain %s", out, want)
		}
	}
}

// TestHookRecordMismatch: a record that does not match what the
// container's process holds (a hook before ww's rewrites the inodes in
// it) fails the creation, naming each fd; ww runtime then removes what it
// made and its record.
func TestHookRecordMismatch(t *testing.T) {
	requireRunc(t)
	s := newShim(t, wwBin)
	dir := t.TempDir()
	sock := filepath.Join(dir, "s.sock")
	id := testID("ww-hook-mismatch")
	script := filepath.Join(dir, "forge")
	body := "#!/bin/sh\nexec sed -i -E 's/\"ino\":([0-9]+)/\"ino\":1\\1/g' " + filepath.Join(stateDir, id) + "@*\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	bundle := hooked(t, []string{"fds"}, map[string]string{
		"fd.ww.dev/s":    "listen:unix:" + sock,
		"fd.ww.dev/host": "file:/etc/hostname",
	}, specs.Hook{Path: script})
	if _, code := s.create(id, bundle, nil); code == 0 {
		t.Fatal("create with a forged record worked")
	}
	b, _ := os.ReadFile(s.log)
	for _, want := range []string{
		`ww hook createRuntime: container \"` + id + `\": fds not delivered as ww runtime opened them: host (fd 3 of the container's process is not what ww runtime opened), s (fd 4 of`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("log %s\nwant it to contain %s", lastLines(b, 3), want)
		}
	}
	if _, err := os.Lstat(sock); err == nil {
		t.Errorf("socket file %s left by a create that failed", sock)
	}
	if r := records(t, id); len(r) != 0 {
		t.Errorf("records %q left by a create that failed", r)
	}
}

// TestHookNoAnnotations: a container without ww's annotations runs
// through plain runc with ww's hooks, untouched and unrecorded.
func TestHookNoAnnotations(t *testing.T) {
	requireRunc(t)
	bundle := hooked(t, []string{"fds"}, nil)
	id := testID("ww-hook-none")
	root := filepath.Join(t.TempDir(), "root")
	out, err := exec.Command("runc", "--root", root, "run", "--bundle", bundle, id).CombinedOutput()
	if err != nil {
		t.Fatalf("runc run: %v: %s", err, out)
	}
	r := parseReport(t, string(out))
	for _, kv := range r.Env {
		if strings.HasPrefix(kv, "WW_FD_") {
			t.Errorf("container got %s", kv)
		}
	}
	if rs := records(t, id); len(rs) != 0 {
		t.Errorf("records %q of a container without fds", rs)
	}
}

// TestHookBadInput: bad stdin or arguments fail in one line, at once.
func TestHookBadInput(t *testing.T) {
	big := bytes.Repeat([]byte(" "), 10<<20)
	for _, tc := range []struct {
		name  string
		args  []string
		stdin []byte
		want  string
	}{
		{"garbage, not a state", []string{"createRuntime"}, []byte("\x00garbage{"), "ww: ww hook createRuntime: state on stdin: not an OCI state: invalid character '\\x00' looking for beginning of value\n"},
		{"empty stdin", []string{"poststop"}, nil, "ww: ww hook poststop: state on stdin: empty; the runtime passes the container's state\n"},
		{"10 MiB of stdin", []string{"createRuntime"}, big, "ww: ww hook createRuntime: state on stdin: more than 1048576 bytes\n"},
		{"no id", []string{"createRuntime"}, []byte(`{"bundle":"/x"}`), "ww: ww hook createRuntime: state on stdin: no container id\n"},
		{"relative bundle", []string{"createRuntime"}, []byte(`{"id":"a","bundle":"x"}`), "ww: ww hook createRuntime: state on stdin: container \"a\": bundle \"x\" is not an absolute path\n"},
		{"bad annotation", []string{"createRuntime"}, []byte(`{"id":"a","bundle":"/x","annotations":{"fd.ww.dev/9x":"file:/etc/hostname"}}`), ""},
		{"unknown stage", []string{"start"}, nil, "ww: ww hook: stage \"start\": want createRuntime, prestart or poststop\n"},
		{"no stage", nil, nil, "ww: ww hook: want one STAGE (createRuntime, prestart or poststop), got 0 arguments\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, wwBin, append([]string{"hook"}, tc.args...)...)
			cmd.Stdin = bytes.NewReader(tc.stdin)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			if ctx.Err() != nil {
				t.Fatal("ww hook hung")
			}
			if err == nil {
				t.Fatal("ww hook took it")
			}
			got := stderr.String()
			if strings.Count(got, "\n") != 1 {
				t.Errorf("stderr %q: want one line", got)
			}
			if tc.want != "" && got != tc.want {
				t.Errorf("stderr %q\nwant   %q", got, tc.want)
			}
		})
	}
}

// TestHookPoststopIdempotent: poststop for a container that has no
// record, whose bundle is gone, or whose annotations ww refuses, is no
// error, as often as it runs.
func TestHookPoststopIdempotent(t *testing.T) {
	bundle := t.TempDir()
	for _, st := range []specs.State{
		{ID: "ww-gone", Bundle: bundle, Annotations: map[string]string{"fd.ww.dev/x": "file:/etc/hostname"}},
		{ID: "ww-gone", Bundle: filepath.Join(bundle, "gone"), Annotations: map[string]string{"fd.ww.dev/x": "file:/etc/hostname"}},
		// An annotation ww runtime refuses: it made nothing to remove.
		{ID: "ww-gone", Bundle: bundle, Annotations: map[string]string{"fd.ww.dev/9x": "file:/etc/hostname"}},
	} {
		data, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			cmd := exec.Command(wwBin, "hook", "poststop")
			cmd.Stdin = bytes.NewReader(data)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("poststop of %s: %v: %s", st.Bundle, err, out)
			}
		}
	}
}
