package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tests here run ww-runtime under real clients, podman (through
// conmon) and containerd (through its runc shim), with a one-file image
// of the probe. Each client runs isolated: its own storage in a temp dir,
// and a mount namespace of its own (see isolated).

// probeAnnotations ask for a file and a listening socket, and with
// systemd for LISTEN_*, as key=value.
func probeAnnotations(logPath string, systemd bool) []string {
	ann := []string{"fd.ww.dev/log=file:" + logPath + "?mode=w&create=0600", "fd.ww.dev/web=listen:tcp:127.0.0.1:0"}
	if systemd {
		ann = append(ann, "options.ww.dev/systemd=true")
	}
	return ann
}

// checkProbeFDs checks the container's view of probeAnnotations: the
// caller's files f0, f1, … at 3 and up, then the log and the socket,
// nothing else.
func checkProbeFDs(t *testing.T, r report, callers int) {
	t.Helper()
	want := []string{fmt.Sprintf("WW_FD_LOG=%d", 3+callers), fmt.Sprintf("WW_FD_WEB=%d", 4+callers)}
	got := r.wwVars()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("WW_FD_* = %q, want %q", got, want)
	}
	for i := range callers {
		if name := fmt.Sprintf("/f%d", i); !strings.HasSuffix(r.FDs[3+i], name) {
			t.Errorf("container fd %d is %q, want the caller's %s", 3+i, r.FDs[3+i], name)
		}
	}
	if log := r.FDs[3+callers]; !strings.HasSuffix(log, "/app.log") {
		t.Errorf("container fd %d is %q, want app.log", 3+callers, log)
	}
	if web := r.FDs[4+callers]; !strings.HasPrefix(web, "socket:") {
		t.Errorf("container fd %d is %q, want a socket", 4+callers, web)
	}
	if len(r.FDs) != 5+callers {
		t.Errorf("container fds %v, want 0..%d only", r.FDs, 4+callers)
	}
}

// checkListenVars checks LISTEN_* for probeAnnotations: there with the
// systemd option, for the container's pid 1; absent without.
func checkListenVars(t *testing.T, r report, systemd bool) {
	t.Helper()
	var got []string
	for _, kv := range r.Env {
		if strings.HasPrefix(kv, "LISTEN_") {
			got = append(got, kv)
		}
	}
	slices.Sort(got)
	var want []string
	if systemd {
		want = []string{"LISTEN_FDNAMES=log:web", "LISTEN_FDS=2", "LISTEN_PID=1"}
	}
	if !slices.Equal(got, want) {
		t.Errorf("LISTEN_* = %q, want %q", got, want)
	}
}

// podman runs podman with its storage, its state and the machine dirs it
// writes in all under dir.
type podman struct {
	bin     string
	dir     string
	runtime string // the ww-runtime link
	image   string // the probe image's ID
}

// podmanCgroup is the parent of the containers' and conmon's cgroups.
const podmanCgroup = "ww-test-podman"

func newPodman(t *testing.T) *podman {
	t.Helper()
	bin := requireClients(t, "podman", "conmon")[0]
	p := &podman{bin: bin, dir: shortTempDir(t, "wwpod"), runtime: runtimeWrapper(t)}
	policy := filepath.Join(p.dir, "etc", "containers", "policy.json")
	if err := os.MkdirAll(filepath.Dir(policy), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(policy, []byte(`{"default":[{"type":"insecureAcceptAnything"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	layout := filepath.Join(p.dir, "image")
	probeImage(t, "latest").writeDir(t, layout)
	removeCgroupAfter(t, podmanCgroup)
	t.Cleanup(func() { p.run(t, nil, "rm", "--all", "--force") })
	out, stderr, code := p.run(t, nil, "pull", "--quiet", "oci:"+layout+":latest")
	if code != 0 {
		t.Fatalf("podman pull: exit %d: %s", code, stderr)
	}
	p.image = strings.TrimSpace(out)
	return p
}

// run runs podman; extra land at fds 3, 4, … in podman.
func (p *podman) run(t *testing.T, extra []*os.File, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	global := []string{"--root", filepath.Join(p.dir, "root"), "--runroot", filepath.Join(p.dir, "rr"),
		"--tmpdir", filepath.Join(p.dir, "tmp"), "--network-config-dir", filepath.Join(p.dir, "net"),
		"--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file"}
	return runClient(t, isolated(p.dir, p.bin, append(global, args...)...), extra)
}

// runProbe runs "/probe fds" in a container through ww-runtime, with
// podman passing extra with --preserve-fds.
func (p *podman) runProbe(t *testing.T, extra []*os.File, annotations ...string) (stdout, stderr string, code int) {
	t.Helper()
	// podman's default rlimits are above what this machine allows.
	args := []string{"run", "--rm", "--pull", "never", "--network", "none", "--cgroup-parent", "/" + podmanCgroup,
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--runtime", p.runtime,
		"--preserve-fds", fmt.Sprint(len(extra))}
	for _, a := range annotations {
		args = append(args, "--annotation", a)
	}
	stdout, stderr, code = p.run(t, extra, append(args, p.image, "/probe", "fds")...)
	p.checkRuntimeState(t)
	return stdout, stderr, code
}

// checkRuntimeState fails the test for each container that podman left
// in runc after run --rm, showing what the runtime answered to podman's
// delete, and deletes it.
func (p *podman) checkRuntimeState(t *testing.T) {
	t.Helper()
	root := filepath.Join(p.dir, "run", "runc")
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		// podman runs delete with XDG_RUNTIME_DIR as the only variable.
		cmd := exec.Command(p.runtime, "--root", root, "delete", "--force", e.Name())
		cmd.Env = []string{"XDG_RUNTIME_DIR="}
		out, err := cmd.CombinedOutput()
		t.Errorf("container %.12s left in the runtime after podman run --rm; %s delete --force, run as podman runs it: %v: %s",
			e.Name(), runtimeName, err, out)
		if out, err := exec.Command("runc", "--root", root, "delete", "--force", e.Name()).CombinedOutput(); err != nil {
			t.Errorf("runc delete %s: %v: %s", e.Name(), err, out)
		}
	}
}

// TestPodman runs containers with podman run --runtime ww-runtime.
func TestPodman(t *testing.T) {
	p := newPodman(t)
	for _, tc := range []struct {
		name    string
		callers int // files podman passes with --preserve-fds
		systemd bool
	}{
		{"annotations, log at 3 and web at 4", 0, false},
		{"--preserve-fds 1, podman's fd at 3 and ww's after it", 1, false},
		{"systemd option, LISTEN_* for log and web", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Not t.TempDir: podman splits --annotation values at commas,
			// and the test's name has one.
			logPath := filepath.Join(shortTempDir(t, "wwlog"), "app.log")
			out, stderr, code := p.runProbe(t, tempFiles(t, tc.callers), probeAnnotations(logPath, tc.systemd)...)
			if code != 0 {
				t.Fatalf("podman run: exit %d: %s", code, stderr)
			}
			r := parseReport(t, out)
			checkProbeFDs(t, r, tc.callers)
			checkListenVars(t, r, tc.systemd)
			if st, err := os.Stat(logPath); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("log file: %v, %v; want one made with mode 0600", st, err)
			}
		})
	}
	t.Run("fd number in annotation, podman run fails with ww's message", func(t *testing.T) {
		_, stderr, code := p.runProbe(t, nil, "fd.ww.dev/db=3")
		want := `OCI runtime error: ` + p.runtime + `: ` // then ww's log line
		if code == 0 || !strings.Contains(stderr, want) || !strings.Contains(stderr, `annotation \"fd.ww.dev/db\": \"3\"`) {
			t.Errorf("exit %d, stderr %q; want a failure naming the annotation", code, stderr)
		}
		if out, _, _ := p.run(t, nil, "ps", "--all", "--quiet"); out != "" {
			t.Errorf("containers left: %q", out)
		}
	})
	t.Run("default node policy: --net=none listener runs, file:/etc/shadow refused with its message", func(t *testing.T) {
		defaultPolicy := filepath.Join(t.TempDir(), "none.yaml")
		q := *p
		q.runtime = runtimeWrapperWith(t, defaultPolicy)
		out, stderr, code := q.runProbe(t, nil, "fd.ww.dev/web=listen:tcp:127.0.0.1:0")
		if code != 0 {
			t.Fatalf("listener: exit %d: %s", code, stderr)
		}
		if r := parseReport(t, out); len(r.FDs) != 4 || !strings.HasPrefix(r.FDs[3], "socket:") {
			t.Errorf("listener: fds %v, want a socket at 3", r.FDs)
		}
		_, stderr, code = q.runProbe(t, nil, "fd.ww.dev/db=file:/etc/shadow")
		want := `annotation \"fd.ww.dev/db\": \"file:/etc/shadow\": not allowed for namespace \"@local\" by the default node policy`
		if code == 0 || !strings.Contains(stderr, want) {
			t.Errorf("exit %d, stderr %q; want a refusal saying %s", code, stderr, want)
		}
		if out, _, _ := p.run(t, nil, "ps", "--all", "--quiet"); out != "" {
			t.Errorf("containers left: %q", out)
		}
	})
}

// containerd is a containerd of the test's own, all its state under dir.
type containerd struct {
	ctr     string
	dir     string
	runtime string // the ww-runtime link
}

// containerdNamespace is ctr's namespace, and so the parent of the
// containers' cgroups.
const containerdNamespace = "ww-test"

const containerdConfig = `version = 2
root = "%[1]s/root"
state = "%[1]s/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "%[1]s/c.sock"
[ttrpc]
  address = "%[1]s/c.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "%[1]s/opt"
`

func startContainerd(t *testing.T) *containerd {
	t.Helper()
	bins := requireClients(t, "containerd", "ctr", "containerd-shim-runc-v2")
	c := &containerd{ctr: bins[1], dir: shortTempDir(t, "wwctd"), runtime: runtimeLink(t)}
	config := filepath.Join(c.dir, "config.toml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(containerdConfig, c.dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(c.dir, "containerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	daemon := isolated(c.dir, bins[0], "--config", config)
	daemon.Stdout, daemon.Stderr = log, log
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	removeCgroupAfter(t, containerdNamespace)
	t.Cleanup(func() { c.stop(t, daemon) })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if err := exec.Command(c.ctr, "--address", c.sock(), "version").Run(); err == nil {
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(log.Name())
			t.Fatalf("containerd did not start: %s", b)
		}
	}
	image := filepath.Join(c.dir, "image.tar")
	probeImage(t, "latest").writeTar(t, image)
	if _, stderr, code := c.run(t, "images", "import", "--snapshotter", "native", "--base-name", "ww.dev/probe", image); code != 0 {
		t.Fatalf("ctr images import: exit %d: %s", code, stderr)
	}
	return c
}

func (c *containerd) sock() string { return filepath.Join(c.dir, "c.sock") }

// run runs ctr in the test's namespace.
func (c *containerd) run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(c.ctr, append([]string{"--address", c.sock(), "--namespace", containerdNamespace}, args...)...)
	cmd.Env = cleanEnv()
	return runClient(t, cmd, nil)
}

// runProbe runs "/probe fds" in container id through ww-runtime.
func (c *containerd) runProbe(t *testing.T, id string, annotations ...string) (stdout, stderr string, code int) {
	t.Helper()
	args := []string{"run", "--rm", "--snapshotter", "native", "--fifo-dir", filepath.Join(c.dir, "fifo"), "--runc-binary", c.runtime}
	for _, a := range annotations {
		args = append(args, "--annotation", a)
	}
	stdout, stderr, code = c.run(t, append(args, "ww.dev/probe:latest", id, "/probe", "fds")...)
	if out, _, _ := c.run(t, "containers", "list", "--quiet"); out != "" {
		t.Errorf("containers left after ctr run --rm: %q", out)
	}
	if entries, _ := os.ReadDir(filepath.Join(c.dir, "run", "containerd", "runc", containerdNamespace)); len(entries) != 0 {
		t.Errorf("containers left in the runtime after ctr run --rm: %v", entries)
	}
	return stdout, stderr, code
}

// stop removes what the test left, so that no shim outlives it, then
// stops containerd.
func (c *containerd) stop(t *testing.T, daemon *exec.Cmd) {
	out, _, _ := c.run(t, "containers", "list", "--quiet")
	for _, id := range strings.Fields(out) {
		c.run(t, "tasks", "delete", "--force", id)
		c.run(t, "containers", "delete", id)
	}
	daemon.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- daemon.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		daemon.Process.Kill()
		<-done
		t.Errorf("containerd did not stop on SIGTERM")
	}
}

// TestContainerd runs containers with ctr run --runc-binary ww-runtime:
// containerd's runc shim calls ww-runtime.
func TestContainerd(t *testing.T) {
	c := startContainerd(t)
	for i, tc := range []struct {
		name    string
		systemd bool
	}{
		{"annotations, log at 3 and web at 4", false},
		{"systemd option, LISTEN_* for log and web", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ann := probeAnnotations(filepath.Join(t.TempDir(), "app.log"), tc.systemd)
			out, stderr, code := c.runProbe(t, fmt.Sprintf("ww-ctr-%d", i), ann...)
			if code != 0 {
				t.Fatalf("ctr run: exit %d: %s", code, stderr)
			}
			r := parseReport(t, out)
			checkProbeFDs(t, r, 0)
			checkListenVars(t, r, tc.systemd)
		})
	}
	t.Run("fd number in annotation, ctr run fails with ww's message", func(t *testing.T) {
		// The shim reads the runtime's last error from its --log file.
		_, stderr, code := c.runProbe(t, "ww-ctr-bad", "fd.ww.dev/db=3")
		want := `OCI runtime create failed: annotation "fd.ww.dev/db": "3": `
		if code == 0 || !strings.Contains(stderr, want) {
			t.Errorf("exit %d, stderr %q; want a failure with %q", code, stderr, want)
		}
	})
}
