package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// hooksDir is a copy of deploy/hooks.d for the tests: the hook is the
// tests' ww, with the tests' records folder.
func hooksDir(t *testing.T) string {
	t.Helper()
	src, err := filepath.Glob("../../deploy/hooks.d/*.json")
	if err != nil || len(src) == 0 {
		t.Fatalf("deploy/hooks.d: %v, %d files", err, len(src))
	}
	dir := t.TempDir()
	for _, f := range src {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.Replace(string(b), `"path": "/usr/local/bin/ww"`, `"path": "`+wwBin+`"`, 1)
		s = strings.Replace(s, `"env": [`, `"env": ["WW_STATE_DIR=`+stateDir+`", `, 1)
		if s == string(b) {
			t.Fatalf("%s: no hook path or env to rewrite", f)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestHookPodman runs podman with --hooks-dir at deploy/hooks.d: through
// ww-runtime the annotated container runs with its fds, and after --rm
// no socket file ww bound is left; through podman's default runtime the
// hook fails the container with its message.
func TestHookPodman(t *testing.T) {
	p := newPodman(t)
	hooks := hooksDir(t)
	sock := filepath.Join(shortTempDir(t, "wwhook"), "s.sock")
	annotations := []string{"--annotation", "fd.ww.dev/s=listen:unix:" + sock, "--annotation", "fd.ww.dev/host=file:/etc/hostname"}
	podmanRun := func(runtime ...string) (string, string, int) {
		args := []string{"--hooks-dir", hooks, "run", "--rm", "--pull", "never", "--network", "none", "--cgroup-parent", "/" + podmanCgroup,
			"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"}
		args = append(append(args, runtime...), annotations...)
		return p.run(t, nil, append(args, p.image, "/probe", "fds")...)
	}
	t.Run("through ww-runtime: runs with its fds, no socket file after --rm", func(t *testing.T) {
		out, stderr, code := podmanRun("--runtime", p.runtime)
		p.checkRuntimeState(t)
		if code != 0 {
			t.Fatalf("podman run: exit %d: %s", code, stderr)
		}
		r := parseReport(t, out)
		if !strings.HasPrefix(r.FDs[4], "socket:") || !strings.Contains(strings.Join(r.Env, " "), "WW_FD_S=4") {
			t.Errorf("fds %v, env %v; want the socket at 4, named s", r.FDs, r.Env)
		}
		if _, err := os.Lstat(sock); err == nil {
			t.Errorf("socket file %s left after podman run --rm", sock)
		}
	})
	t.Run("through the default runtime: fails with the hook's message", func(t *testing.T) {
		_, stderr, code := podmanRun()
		want := `fds host, s were not delivered: ww runtime has no record of this container: it was not started through ww-runtime: check its RuntimeClass`
		if code == 0 || !strings.Contains(stderr, want) {
			t.Errorf("exit %d, stderr %q; want a failure saying %s", code, stderr, want)
		}
		if out, _, _ := p.run(t, nil, "ps", "--all", "--quiet"); out != "" {
			t.Errorf("containers left: %q", out)
		}
	})
}

// TestInstallHooksPodman installs the hooks with ww install into a
// folder, and podman with --hooks-dir at it fails an annotated container
// run through its default runtime with the hook's message; a second
// install changes nothing, and uninstall leaves the folder as it was.
func TestInstallHooksPodman(t *testing.T) {
	p := newPodman(t)
	dir := t.TempDir()
	other := filepath.Join(dir, "README")
	if err := os.WriteFile(other, []byte("the operator's\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	install := func(more ...string) string {
		t.Helper()
		out, err := exec.Command(wwBin, append([]string{"install", "hooks", "--dir", dir, "--ww-path", wwBin}, more...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("ww install hooks %q: %v\n%s", more, err, out)
		}
		return string(out)
	}
	if out := install(); !strings.Contains(out, "wrote "+filepath.Join(dir, "ww-createruntime.json")) || !strings.Contains(out, "CRI-O reads") {
		t.Errorf("install said\n%s", out)
	}
	if out := install(); !strings.HasPrefix(out, "nothing to change") {
		t.Errorf("second install said\n%s", out)
	}
	args := []string{"--hooks-dir", dir, "run", "--rm", "--pull", "never", "--network", "none", "--cgroup-parent", "/" + podmanCgroup,
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--annotation", "fd.ww.dev/host=file:/etc/hostname", p.image, "/probe", "fds"}
	_, stderr, code := p.run(t, nil, args...)
	want := `fds host were not delivered: ww runtime has no record of this container: it was not started through ww-runtime: check its RuntimeClass`
	if code == 0 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr %q; want a failure saying %s", code, stderr, want)
	}
	install("--uninstall")
	left, err := os.ReadDir(dir)
	if err != nil || len(left) != 1 || left[0].Name() != "README" {
		t.Errorf("after uninstall the folder holds %v (%v), want README only", left, err)
	}
	if b, err := os.ReadFile(other); err != nil || string(b) != "the operator's\n" {
		t.Errorf("README now %q (%v)", b, err)
	}
}
