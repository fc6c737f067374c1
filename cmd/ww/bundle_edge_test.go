package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestBundleIDInUse checks that a run refused because its --id is taken
// leaves the container that holds the id alone.
func TestBundleIDInUse(t *testing.T) {
	requireRunc(t)
	bundle := makeBundle(t, []string{"signals", "1"}, nil)
	takenID := testID("ww-taken")
	first := exec.Command(wwBin, "run", "--bundle", bundle, "--id", takenID)
	first.Env = cleanEnv()
	out, err := first.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	br := startSignalProbe(t, first, out)
	res := runWW(t, nil, cleanEnv(), "run", "--bundle", bundle, "--id", takenID, "--", "/probe", "exit", "0")
	if res.code == 0 {
		t.Fatalf("second run with the same id succeeded")
	}
	if b, err := exec.Command("runc", "state", takenID).CombinedOutput(); err != nil {
		t.Fatalf("the first container is gone: %v: %s", err, b)
	}
	if err := first.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	io.ReadAll(br)
	if err := first.Wait(); err != nil {
		t.Errorf("first ww: %v, want status 0", err)
	}
	assertNoContainer(t, takenID)
}

// TestBundleRelativeBindMount checks that a bind mount whose source is
// relative to the user's bundle still works from ww's copy of the config.
func TestBundleRelativeBindMount(t *testing.T) {
	requireRunc(t)
	bundle := makeBundle(t, []string{"fds"}, func(s *specs.Spec) {
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/mnt", Type: "bind", Source: "data", Options: []string{"rbind", "ro"}})
	})
	if err := os.Mkdir(filepath.Join(bundle, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	res := runWW(t, nil, cleanEnv(), "run", "--bundle", bundle)
	if res.code != 0 {
		t.Errorf("exit %d, stderr %q", res.code, res.stderr)
	}
}

// TestBundleBadInput checks refusals before anything starts.
func TestBundleBadInput(t *testing.T) {
	requireRunc(t)
	bundle := makeBundle(t, []string{"fds"}, nil)
	noArgs := makeBundle(t, nil, func(s *specs.Spec) { s.Process.Args = []string{} })
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"empty process.args, usage error", []string{"--bundle", noArgs}, `--bundle "` + noArgs + `": config.json has an empty process.args`},
		{"empty --id, usage error", []string{"--bundle", bundle, "--id", ""}, `--id "": the container id is empty`},
		{"missing bundle dir, usage error", []string{"--bundle", "/nonexistent/b"}, `--bundle "/nonexistent/b"`},
		{"bad id, usage error", []string{"--bundle", bundle, "--id", "a/b"}, `--id "a/b"`},
		{"bad fd, usage error", []string{"--bundle", bundle, "--with-fd", "x=y"}, `--with-fd "x=y"`},
		{"--id without --bundle, usage error", []string{"--id", "x", "/bin/true"}, `--id "x"`},
		{"empty --bundle, usage error", []string{"--bundle", "", "/bin/true"}, `--bundle ""`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := runWW(t, nil, cleanEnv(), append([]string{"run"}, tc.args...)...)
			if res.code != 2 || !strings.HasPrefix(res.stderr, "ww: ") || !strings.Contains(res.stderr, tc.want) || strings.Count(res.stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want 2 and one line of ww's naming %s", res.code, res.stderr, tc.want)
			}
		})
	}
}

// TestBundleCreateStatus runs ww with a fake runtime whose create fails
// with status 3: ww exits 3 too, and the runtime's own message is the
// only line on stderr.
func TestBundleCreateStatus(t *testing.T) {
	requireRunc(t)
	t.Parallel()
	bundle := makeBundle(t, []string{"fds"}, nil)
	fake := filepath.Join(t.TempDir(), "fake-runtime")
	script := "#!/bin/sh\ncase \"$1\" in create) echo \"fake: cannot create\" >&2; exit 3;; esac\nexit 0\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	res := runWW(t, nil, cleanEnv(), "run", "--bundle", bundle, "--runtime", fake, "--id", testID("ww-create-status"))
	if res.code != 3 || res.stderr != "fake: cannot create\n" {
		t.Errorf("exit %d, stderr %q; want 3 and the runtime's line only", res.code, res.stderr)
	}
}
