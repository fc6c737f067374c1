package cribed_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ww-dev/ww/cmd/internal/cribed"
	"github.com/ww-dev/ww/cmd/internal/podclient"
)

// TestCRIRestart: a pod's listener, held by its sandbox, outlives the
// restarts of its containers, through the CRI of each containerd found
// (one daemon per version, shared by the subtests).
func TestCRIRestart(t *testing.T) {
	requireRoot(t)
	flavors, missing := cribed.Flavors()
	skipMissing(t, missing)
	for _, f := range flavors {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			d := startDaemon(t, f)
			for _, c := range restartCases {
				t.Run(c.name, func(t *testing.T) {
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					defer cancel()
					c.run(ctx, t, d)
				})
			}
		})
	}
}

var restartCases = []struct {
	name string
	run  func(context.Context, *testing.T, *cribed.Daemon)
}{
	{"five restarts: every connection answered, none refused, same socket", testRestartKeepsListener},
	{"five restarts of a container binding its own socket: refusals", testRestartOwnSocket},
	{"two containers share the pod's listener", testSharedListener},
	{"after RemovePodSandbox nothing holds the socket", testNothingHeldAfterPod},
}

// httpPod is a pod whose annotation asks for a listener for the whole pod.
func httpPod(name string) cribed.PodSpec {
	return cribed.PodSpec{Name: name, Namespace: "ww-b", Handler: "ww",
		Annotations: map[string]string{"fd.ww.dev/http": "listen:tcp::8080"}}
}

// answerer is a container that answers on the pod's listener.
func answerer(name string) cribed.ContainerSpec {
	return cribed.ContainerSpec{Name: name, Args: []string{"answer", "http"}}
}

// sandboxSocket returns the pid of the pod's sandbox process and the
// inode of the socket it holds at fd 3.
func sandboxSocket(ctx context.Context, t *testing.T, p *cribed.Pod) (int, string) {
	t.Helper()
	pid, err := p.SandboxPID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitExe(ctx, t, pid, cribed.ProbePath)
	target, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/3")
	m := socketInode.FindStringSubmatch(target)
	if m == nil {
		t.Fatalf("the sandbox's fd 3 is %q, not a socket", target)
	}
	return pid, m[1]
}

// restartLoop starts s in p, a client in the pod's network, and restarts
// the container five times as the kubelet does, waiting after each start
// for an answer from the new process; it returns what the client saw.
func restartLoop(ctx context.Context, t *testing.T, p *cribed.Pod, s cribed.ContainerSpec) podclient.Result {
	t.Helper()
	id, err := p.Start(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.StartClient(ctx, "127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	a, err := c.WaitAnswerAfter(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		s.Attempt = uint32(i)
		if id, err = p.Restart(ctx, id, s, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if a, err = c.WaitAnswerAfter(ctx, a.Start); err != nil {
			t.Fatalf("restart %d: %v", i, err)
		}
	}
	return c.Stop()
}

// processes counts the processes that answered. With inOrder, it also
// checks that once a process answered, no earlier one did.
func processes(t *testing.T, r podclient.Result, inOrder bool) int {
	t.Helper()
	prev, seen := int64(0), map[int64]bool{}
	for _, a := range r.Answers {
		if inOrder && a.Start < prev {
			t.Errorf("a process started at %d answered after one started at %d", a.Start, prev)
			inOrder = false
		}
		prev, seen[a.Start] = a.Start, true
	}
	return len(seen)
}

func testRestartKeepsListener(ctx context.Context, t *testing.T, d *cribed.Daemon) {
	p := runPod(ctx, t, d, httpPod("restart"))
	_, held := sandboxSocket(ctx, t, p)
	r := restartLoop(ctx, t, p, answerer("web"))
	if r.Refused != 0 || len(r.Errors) != 0 {
		t.Errorf("%d connections refused, %d failed (%v), %d answered", r.Refused, len(r.Errors), r.Errors, len(r.Answers))
	}
	if n := processes(t, r, true); n != 6 {
		t.Errorf("answers from %d processes, want 6", n)
	}
	for _, a := range r.Answers {
		if a.Inode != held {
			t.Fatalf("an answer through socket %s, want the sandbox's %s", a.Inode, held)
		}
	}
	t.Logf("%d connections answered across 5 restarts, none refused", len(r.Answers))
}

func testRestartOwnSocket(ctx context.Context, t *testing.T, d *cribed.Daemon) {
	p := runPod(ctx, t, d, cribed.PodSpec{Name: "own", Namespace: "ww-b", Handler: "ww"})
	r := restartLoop(ctx, t, p, cribed.ContainerSpec{Name: "web", Args: []string{"answer-bind", "8080"}})
	if n := processes(t, r, true); n != 6 {
		t.Errorf("answers from %d processes, want 6", n)
	}
	if r.Refused == 0 {
		t.Errorf("no connection refused across 5 restarts of a container binding its own socket (%d answered)", len(r.Answers))
	}
	t.Logf("%d connections refused, %d answered, %d failed", r.Refused, len(r.Answers), len(r.Errors))
}

func testSharedListener(ctx context.Context, t *testing.T, d *cribed.Daemon) {
	p := runPod(ctx, t, d, httpPod("shared"))
	_, held := sandboxSocket(ctx, t, p)
	a, err := p.Start(ctx, answerer("a"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.StartClient(ctx, "127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	first, err := c.WaitAnswerAfter(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Start(ctx, answerer("b")); err != nil {
		t.Fatal(err)
	}
	// With a stopped, b answers: both accepted on the one socket.
	if err := p.StopContainer(ctx, a, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitAnswerAfter(ctx, first.Start); err != nil {
		t.Fatal(err)
	}
	r := c.Stop()
	if n := processes(t, r, false); n != 2 || r.Refused != 0 || len(r.Errors) != 0 {
		t.Errorf("answers from %d processes, want 2; %d refused, errors %v", n, r.Refused, r.Errors)
	}
	for _, ans := range r.Answers {
		if ans.Inode != held {
			t.Fatalf("an answer through socket %s, want the sandbox's %s", ans.Inode, held)
		}
	}
}

func testNothingHeldAfterPod(ctx context.Context, t *testing.T, d *cribed.Daemon) {
	p, err := d.RunPod(ctx, httpPod("gone"))
	if err != nil {
		t.Fatal(err)
	}
	pid, held := sandboxSocket(ctx, t, p)
	id, err := p.Start(ctx, answerer("web"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Restart(ctx, id, cribed.ContainerSpec{Name: "web", Args: []string{"answer", "http"}, Attempt: 1}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := p.Remove(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
		t.Errorf("the sandbox's process %d is still there", pid)
	}
	if holders := socketHolders(held); len(holders) > 0 {
		t.Errorf("socket %s is still held: %v", held, holders)
	}
	if pids := wwProcesses(d); len(pids) > 0 {
		t.Errorf("ww processes still run: %v", pids)
	}
	// The record ww wrote went with the sandbox's bundle.
	bundle := filepath.Join(d.State, "io.containerd.runtime.v2.task", "k8s.io", p.ID)
	if _, err := os.Lstat(bundle); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the sandbox's bundle %s is left (%v)", bundle, err)
	}
}

// socketHolders lists the fds of every process that are socket inode.
func socketHolders(inode string) []string {
	var out []string
	eachFD(func(pid, fd, target string) {
		if target == "socket:["+inode+"]" {
			out = append(out, pid+": fd "+fd)
		}
	})
	return out
}
