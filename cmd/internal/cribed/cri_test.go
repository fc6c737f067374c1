package cribed_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cri "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ww-dev/ww/cmd/internal/cribed"
)

// TestCRI drives ww runtime as the kubelet does, through the CRI of each
// containerd found, one daemon per version shared by the subtests.
func TestCRI(t *testing.T) {
	requireRoot(t)
	flavors, missing := cribed.Flavors()
	skipMissing(t, missing)
	for _, f := range flavors {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			d := startDaemon(t, f)
			for _, c := range criCases {
				t.Run(c.name, func(t *testing.T) {
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					defer cancel()
					c.run(ctx, t, d)
				})
			}
		})
	}
}

var criCases = []struct {
	name string
	run  func(context.Context, *testing.T, *cribed.Daemon)
}{
	{"pod-wide and container-scoped requests reach their containers", testPodAndContainerRequests},
	{"node resource refused to another namespace", testNodeResourceOtherNamespace},
	{"raw file refused without a policy grant", testRawFileRefused},
	{"listener in the pod's network, not the node's", testListenInPod},
	{"no annotations runs as under runc", testNoAnnotationsAsRunc},
	{"sandbox gets no fds but the pod's listeners", testSandboxGetsNothing},
	{"pod cannot choose its namespace", testSpoofedNamespace},
	{"refused request through runc leaves nothing", testRefusedLeavesNothing},
	{"20 pods at once each see their own", testManyPods},
}

// runProbe runs a pod with one probe container, waits for its report
// and returns it; the pod is removed at the end of the test.
func runProbe(ctx context.Context, t *testing.T, d *cribed.Daemon, pod cribed.PodSpec, c cribed.ContainerSpec) (*cribed.Pod, report) {
	t.Helper()
	p := runPod(ctx, t, d, pod)
	id, err := p.Start(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if c.Args[0] == "fds" {
		st, err := p.Wait(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if st.ExitCode != 0 {
			t.Fatalf("container %s exited %d: %s", c.Name, st.ExitCode, st.Message)
		}
	}
	lines, err := p.Log(ctx, c.Name)
	if err != nil {
		t.Fatal(err)
	}
	return p, parseReport(t, lines)
}

func runPod(ctx context.Context, t *testing.T, d *cribed.Daemon, pod cribed.PodSpec) *cribed.Pod {
	t.Helper()
	p, err := d.RunPod(ctx, pod)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := p.Remove(ctx); err != nil {
			t.Error(err)
		}
	})
	return p
}

// wantFDs checks that the report has exactly stdio and the named fds,
// each WW_FD_<NAME> naming an fd that is the file given.
func wantFDs(t *testing.T, r report, want map[string]string) {
	t.Helper()
	vars := r.wwVars()
	if len(vars) != len(want) {
		t.Errorf("WW_FD_* = %v, want the names of %v", vars, want)
	}
	if len(r.FDs) != 3+len(want) {
		t.Errorf("fds %v: want 0-2 and one per name of %v", r.FDs, want)
	}
	for name, target := range want {
		n, err := strconv.Atoi(vars["WW_FD_"+name])
		if err != nil {
			t.Errorf("WW_FD_%s=%q: %v", name, vars["WW_FD_"+name], err)
			continue
		}
		if n < 3 || !matchTarget(r.FDs[n], target) {
			t.Errorf("WW_FD_%s=%d is %q, want %q", name, n, r.FDs[n], target)
		}
	}
}

// matchTarget matches a /proc/self/fd link against a path, or against
// "socket" for any socket.
func matchTarget(got, want string) bool {
	if want == "socket" {
		return strings.HasPrefix(got, "socket:[")
	}
	return got == want
}

func testPodAndContainerRequests(ctx context.Context, t *testing.T, d *cribed.Daemon) {
	p := runPod(ctx, t, d, cribed.PodSpec{Name: "scoped", Namespace: "ww-a", Handler: "ww",
		Annotations: map[string]string{
			"fd.ww.dev/one":       "node:alpha",
			"probe.fd.ww.dev/two": "node:beta",
		}})
	want := map[string]map[string]string{
		"probe": {"ONE": filepath.Join(dataDir, "alpha"), "TWO": filepath.Join(dataDir, "beta")},
		"other": {"ONE": filepath.Join(dataDir, "alpha")},
	}
	for _, name := range []string{"probe", "other"} {
		id, err := p.Start(ctx, cribed.ContainerSpec{Name: name, Args: []string{"fds"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Wait(ctx, id); err != nil {
			t.Fatal(err)
		}
		lines, err := p.Log(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		wantFDs(t, parseReport(t, lines), want[name])
	}
}

// startRefused creates a container that asks for what the policy
// refuses: the create is recorded, the start fails with the policy's
// message, and the container never ran.
func startRefused(ctx context.Context, t *testing.T, d *cribed.Daemon, pod cribed.PodSpec, wants ...string) (*cribed.Pod, string) {
	t.Helper()
	p := runPod(ctx, t, d, pod)
	id, err := p.Create(ctx, cribed.ContainerSpec{Name: "probe", Args: []string{"fds"}})
	if err != nil {
		t.Fatalf("CreateContainer only records, yet: %v", err)
	}
	err = p.StartContainer(ctx, id)
	if err == nil {
		t.Fatalf("pod %v: a container started", pod.Annotations)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("start error %q does not say %q", err, w)
		}
	}
	st, err := d.Runtime.ContainerStatus(ctx, &cri.ContainerStatusRequest{ContainerId: id})
	if err != nil {
		t.Fatal(err)
	}
	if st.Status.StartedAt != 0 || st.Status.State == cri.ContainerState_CONTAINER_RUNNING {
		t.Errorf("the refused container ran: %v, started at %d", st.Status.State, st.Status.StartedAt)
	}
	return p, id
}

func testNodeResourceOtherNamespace(ctx context.Context, t *testing.T, d *cribed.Daemon) {
	startRefused(ctx, t, d, cribed.PodSpec{Name: "other-ns", Namespace: "ww-b", Handler: "ww",
		Annotations: map[string]string{"fd.ww.dev/one": "node:alpha"}},
		`annotation "fd.ww.dev/one"`, `"node:alpha"`, `resource "alpha" is not allowed for namespace "ww-b" by node policy `+policyPath)
}

func testRawFileRefused(ctx context.Context, t *testing.T, d *cribed.Daemon) {
	startRefused(ctx, t, d, cribed.PodSpec{Name: "raw", Namespace: "ww-a", Handler: "ww",
		Annotations: map[string]string{"fd.ww.dev/x": "file:/etc/hostname"}},
		`annotation "fd.ww.dev/x"`, `"file:/etc/hostname"`, `not allowed for namespace "ww-a" by node policy `+policyPath)
}

func testNoAnnotationsAsRunc(ctx context.Context, t *testing.T, d *cribed.Daemon) {
	var reports []report
	for _, handler := range []string{"ww", "runc"} {
		_, r := runProbe(ctx, t, d, cribed.PodSpec{Name: "plain", Namespace: "ww-a", Handler: handler},
			cribed.ContainerSpec{Name: "probe", Args: []string{"fds"}})
		reports = append(reports, r)
	}
	ww, runc := normalize(reports[0]), normalize(reports[1])
	if !equalReports(ww, runc) {
		t.Errorf("without annotations, under ww:\n%+v\nunder runc:\n%+v", ww, runc)
	}
}

// normalize blanks what differs between any two runs: pipe numbers.
func normalize(r report) report {
	fds := map[int]string{}
	for n, target := range r.FDs {
		if strings.HasPrefix(target, "pipe:") {
			target = "pipe"
		}
		fds[n] = target
	}
	r.FDs = fds
	return r
}

func equalReports(a, b report) bool {
	if a.PID != b.PID || strings.Join(a.Args, "\x00") != strings.Join(b.Args, "\x00") ||
		strings.Join(a.Env, "\x00") != strings.Join(b.Env, "\x00") || len(a.FDs) != len(b.FDs) {
		return false
	}
	for n, target := range a.FDs {
		if b.FDs[n] != target {
			return false
		}
	}
	return true
}

func testSandboxGetsNothing(ctx context.Context, t *testing.T, d *cribed.Daemon) {
	fdsOf := map[string][]string{}
	for _, handler := range []string{"ww", "runc"} {
		p := runPod(ctx, t, d, cribed.PodSpec{Name: "sandbox", Namespace: "ww-a", Handler: handler,
			Annotations: map[string]string{"fd.ww.dev/one": "node:alpha", "fd.ww.dev/http": "listen:tcp::80"}})
		pid, err := p.SandboxPID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The runtime's start returns before runc's init has run the
		// probe, and fds of runc's own are there until then.
		waitExe(ctx, t, pid, cribed.ProbePath)
		env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(env), "WW_FD_") {
			t.Errorf("handler %s: the sandbox's environment has WW_FD_*: %q", handler, env)
		}
		config, err := os.ReadFile(filepath.Join(d.State, "io.containerd.runtime.v2.task", "k8s.io", p.ID, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(config), "WW_FD_") {
			t.Errorf("handler %s: the sandbox's config.json has WW_FD_*", handler)
		}
		fdsOf[handler] = settledFDs(ctx, t, pid)
	}
	// It holds the pod's listener, and nothing else.
	if strings.Join(fdsOf["ww"], " ") != strings.Join(append(fdsOf["runc"], "3=socket"), " ") {
		t.Errorf("the sandbox's fds under ww %q, under runc %q and the pod's listener", fdsOf["ww"], fdsOf["runc"])
	}
}

// waitExe waits until the process runs the program at path (as seen in
// its own mount namespace).
func waitExe(ctx context.Context, t *testing.T, pid int, path string) {
	t.Helper()
	for {
		exe, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
		if exe == path {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("process %d runs %q, not %s", pid, exe, path)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// settledFDs lists what a process's fds are, pipe and socket numbers
// blanked, once it holds no more than stdio or after a second: the
// probe opens and closes files of its own as it starts (/proc/1/fd,
// /proc/1/cgroup), which an fd that the runtime handed over outlasts.
func settledFDs(ctx context.Context, t *testing.T, pid int) []string {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		fds := fdTargets(t, pid)
		if len(fds) <= 3 || time.Now().After(deadline) || ctx.Err() != nil {
			return fds
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fdTargets lists what a process's fds are, pipe and socket numbers
// blanked.
func fdTargets(t *testing.T, pid int) []string {
	t.Helper()
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		target, _ := os.Readlink(filepath.Join(dir, e.Name()))
		if i := strings.Index(target, ":["); i > 0 {
			target = target[:i]
		}
		out = append(out, e.Name()+"="+target)
	}
	return out
}
