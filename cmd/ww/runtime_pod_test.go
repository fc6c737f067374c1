package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// testPod is a Kubernetes pod as ww runtime sees it under containerd's
// CRI, driven through real runc: a network namespace, a sandbox container
// and app containers whose configs carry the CRI annotations and the
// pod's annotations.
type testPod struct {
	t           *testing.T
	ww, runc    *shim // the same --root and log, through ww or runc alone
	netns       string
	annotations map[string]string
	sandbox     string
	apps        int
}

func newTestPod(t *testing.T, annotations map[string]string) *testPod {
	t.Helper()
	requireRunc(t)
	p := &testPod{t: t, ww: newShim(t, wwBin), annotations: annotations}
	r := *p.ww
	r.bin = "runc"
	p.runc = &r
	p.netns = "/proc/" + strconv.Itoa(startNetNS(t)) + "/ns/net"
	return p
}

// bundle writes a bundle in the pod's network namespace whose process
// is the probe with args, annotated with the pod's annotations, the CRI's
// and extra.
func (p *testPod) bundle(args []string, extra map[string]string) string {
	return makeBundle(p.t, args, func(s *specs.Spec) {
		s.Annotations = map[string]string{}
		for k, v := range p.annotations {
			s.Annotations[k] = v
		}
		for k, v := range extra {
			s.Annotations[k] = v
		}
		for i, ns := range s.Linux.Namespaces {
			if ns.Type == specs.NetworkNamespace {
				s.Linux.Namespaces[i].Path = p.netns
			}
		}
	})
}

// startSandbox creates and starts the pod's sandbox through s: a probe
// that holds what it gets until the test ends.
func (p *testPod) startSandbox(s *shim) {
	p.t.Helper()
	p.sandbox = testID("ww-pod-sb")
	bundle := p.bundle([]string{"signals", "1000"}, map[string]string{
		"io.kubernetes.cri.container-type":        "sandbox",
		"io.kubernetes.cri.sandbox-id":            p.sandbox,
		"io.kubernetes.cri.sandbox-namespace":     "shop",
		"io.kubernetes.cri.sandbox-name":          "web",
		"io.kubernetes.cri.sandbox-log-directory": "/var/log/pods/x",
	})
	p.start(s, p.sandbox, bundle, "ready")
}

// startApp creates and starts an app container of the pod named name,
// serving its listener http (probe answer http), and returns its ID.
func (p *testPod) startApp(name string, extra map[string]string) string {
	p.t.Helper()
	p.apps++
	id := testID(fmt.Sprintf("ww-pod-%s-%d", name, p.apps))
	a := map[string]string{
		"io.kubernetes.cri.container-type":    "container",
		"io.kubernetes.cri.sandbox-id":        p.sandbox,
		"io.kubernetes.cri.container-name":    name,
		"io.kubernetes.cri.sandbox-namespace": "shop",
	}
	for k, v := range extra {
		a[k] = v
	}
	p.start(p.ww, id, p.bundle([]string{"answer", "http"}, a), "serving")
	return id
}

// start creates and starts container id from bundle through s, and waits
// for its process to print ready.
func (p *testPod) start(s *shim, id, bundle, ready string) {
	p.t.Helper()
	out, code := s.create(id, bundle, nil)
	if code != 0 {
		b, _ := os.ReadFile(s.log)
		p.t.Fatalf("create %s: exit %d; log %s", id, code, b)
	}
	if _, code := s.run("start", id); code != 0 {
		p.t.Fatalf("start %s: exit %d", id, code)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(out)
		if strings.Contains(string(b), ready+"\n") {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("container %s: no %q: %q", id, ready, b)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stop stops container id as the kubelet does (SIGTERM, wait, delete);
// the sandbox, whose probe counts SIGTERM, with SIGKILL.
func (p *testPod) stop(id string) {
	p.t.Helper()
	sig := "TERM"
	if id == p.sandbox {
		sig = "KILL"
	}
	if _, code := p.runc.run("kill", id, sig); code != 0 {
		p.t.Fatalf("kill %s: exit %d", id, code)
	}
	waitStopped(p.t, p.runc, id)
	if _, code := p.runc.run("delete", id); code != 0 {
		p.t.Fatalf("delete %s: exit %d", id, code)
	}
}

// fdInode is the inode of the socket at fd of container id's process, or
// "" when the fd is not a socket.
func (p *testPod) fdInode(id string, fd int) string {
	p.t.Helper()
	target, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", p.runc.state(id).Pid, fd))
	ino, ok := strings.CutPrefix(target, "socket:[")
	if !ok {
		return ""
	}
	return strings.TrimSuffix(ino, "]")
}

// answer is one line a probe server wrote: its start and its listener.
type answer struct {
	start int64
	inode string
}

// client connects in a tight loop to addr from inside a network
// namespace, as a pod's peer would, and keeps every outcome.
type client struct {
	stop chan struct{}
	done chan struct{}

	mu      sync.Mutex
	answers []answer
	refused int
	errs    []error
}

// startClient starts a client of addr in the pod's network namespace; it
// runs until its stop is closed.
func (p *testPod) startClient(addr string) *client {
	p.t.Helper()
	c := &client{stop: make(chan struct{}), done: make(chan struct{})}
	ready := make(chan error)
	go c.run(p.netns, addr, ready)
	if err := <-ready; err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(c.end)
	return c
}

func (c *client) run(netns, addr string, ready chan<- error) {
	defer close(c.done)
	// The thread stays in the namespace and is never unlocked: the Go
	// runtime ends it with the goroutine.
	runtime.LockOSThread()
	fd, err := unix.Open(netns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		unix.Close(fd)
	}
	ready <- err
	if err != nil {
		return
	}
	for {
		select {
		case <-c.stop:
			return
		default:
		}
		a, err := ask(addr)
		c.mu.Lock()
		switch {
		case err == nil:
			c.answers = append(c.answers, a)
		case errors.Is(err, syscall.ECONNREFUSED):
			c.refused++
		default:
			c.errs = append(c.errs, err)
		}
		c.mu.Unlock()
	}
}

// ask makes one connection to addr and reads the server's line.
func ask(addr string) (answer, error) {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return answer{}, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return answer{}, fmt.Errorf("read: %w", err)
	}
	f := strings.Fields(line)
	if len(f) != 3 {
		return answer{}, fmt.Errorf("answer %q", line)
	}
	start, _ := strconv.ParseInt(f[1], 10, 64)
	return answer{start: start, inode: f[2]}, nil
}

// last is the latest answer, and how many there are.
func (c *client) last() (answer, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.answers) == 0 {
		return answer{}, 0
	}
	return c.answers[len(c.answers)-1], len(c.answers)
}

// waitAnswerAfter waits until the client has an answer from a server
// started after since, and returns its start.
func (c *client) waitAnswerAfter(t *testing.T, since int64) int64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if a, n := c.last(); n > 0 && a.start > since {
			return a.start
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("no answer from a server started after %d", since)
	return 0
}

func (c *client) end() {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	<-c.done
}

// TestPodListenerSurvivesRestarts: through real runc, a pod's sandbox
// created by ww holds the pod's listener, with no WW_FD_* in its
// environment; each app container of the pod gets that very socket, at
// the number it would have had; a request of the container alone stays
// its own; and restarting the container five times while a client
// connects in a tight loop from inside the pod's network refuses no
// connection and answers each, from the new process after each restart.
func TestPodListenerSurvivesRestarts(t *testing.T) {
	p := newTestPod(t, map[string]string{"fd.ww.dev/http": "listen:tcp::8080"})
	p.startSandbox(p.ww)
	held := p.fdInode(p.sandbox, 3)
	if held == "" {
		t.Fatal("the sandbox holds no socket at fd 3")
	}
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p.runc.state(p.sandbox).Pid))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(env), "WW_FD_") || strings.Contains(string(env), "LISTEN_") {
		t.Errorf("the sandbox's environment names fds: %q", env)
	}
	// admin is the container's own request, which the sandbox does not
	// carry: a socket of its own, opened afresh.
	own := map[string]string{"web.fd.ww.dev/admin": "listen:tcp::9090"}
	id := p.startApp("web", own)
	if got, admin := p.fdInode(id, 4), p.fdInode(id, 3); got != held || admin == "" || admin == held {
		t.Fatalf("app: http (fd 4) is socket %q, admin (fd 3) %q; want the sandbox's %s, and one of its own", got, admin, held)
	}
	c := p.startClient("127.0.0.1:8080")
	starts := []int64{c.waitAnswerAfter(t, 0)}
	for i := 0; i < 5; i++ {
		p.stop(id)
		id = p.startApp("web", own)
		if got := p.fdInode(id, 4); got != held {
			t.Errorf("restart %d: http is socket %s, want the sandbox's %s", i+1, got, held)
		}
		starts = append(starts, c.waitAnswerAfter(t, starts[len(starts)-1]))
	}
	c.end()
	if c.refused != 0 || len(c.errs) != 0 {
		t.Errorf("%d connections refused, %d failed (%v), %d answered", c.refused, len(c.errs), c.errs, len(c.answers))
	}
	prev, seen := int64(0), map[int64]bool{}
	for _, a := range c.answers {
		if a.start < prev {
			t.Fatalf("an answer from a server started at %d after one from %d: an old process answered after the new one", a.start, prev)
		}
		if a.inode != held {
			t.Fatalf("an answer through socket %s, want %s", a.inode, held)
		}
		prev, seen[a.start] = a.start, true
	}
	if len(seen) != 6 {
		t.Errorf("answers from %d processes, want 6", len(seen))
	}
	t.Logf("%d connections answered across 5 restarts, none refused", len(c.answers))
	if b, _ := os.ReadFile(p.ww.log); len(b) > 0 {
		t.Errorf("runtime log: %s", b)
	}
}

// TestPodListenerBaselineRefuses is the same restart loop against a
// container that binds its own socket, with no sandbox holding it: the
// client sees the refusals that a held listener prevents.
func TestPodListenerBaselineRefuses(t *testing.T) {
	p := newTestPod(t, nil)
	p.startSandbox(p.ww)
	bind := func() string {
		p.apps++
		id := testID(fmt.Sprintf("ww-pod-bind-%d", p.apps))
		p.start(p.ww, id, p.bundle([]string{"answer-bind", "8080"}, map[string]string{
			"io.kubernetes.cri.container-type": "container",
			"io.kubernetes.cri.sandbox-id":     p.sandbox,
		}), "serving")
		return id
	}
	id := bind()
	c := p.startClient("127.0.0.1:8080")
	last := c.waitAnswerAfter(t, 0)
	for i := 0; i < 2; i++ {
		p.stop(id)
		id = bind()
		last = c.waitAnswerAfter(t, last)
	}
	c.end()
	if c.refused == 0 {
		t.Errorf("no connection refused across 2 restarts of a container binding its own socket (%d answered)", len(c.answers))
	}
	t.Logf("%d connections refused, %d answered", c.refused, len(c.answers))
}

// TestPodListenerAfresh: where the sandbox's listener cannot be taken, the
// container gets a fresh socket, as before, and the runtime log says so
// once: a sandbox that runc created without ww, and one that is gone.
func TestPodListenerAfresh(t *testing.T) {
	tests := []struct {
		name string
		run  func(p *testPod)
		log  string
	}{
		{"sandbox not created by ww", func(p *testPod) { p.startSandbox(p.runc) }, "holds no listener of ww's"},
		{"sandbox gone", func(p *testPod) { p.startSandbox(p.ww); p.stop(p.sandbox) }, "state " + "ww-pod-sb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestPod(t, map[string]string{"fd.ww.dev/http": "listen:tcp::8080"})
			tt.run(p)
			id := p.startApp("web", nil)
			if p.fdInode(id, 3) == "" {
				t.Fatal("the app has no socket at fd 3")
			}
			c := p.startClient("127.0.0.1:8080")
			c.waitAnswerAfter(t, 0)
			c.end()
			b, _ := os.ReadFile(p.ww.log)
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], `"level":"warning"`) ||
				!strings.Contains(lines[0], `annotation \"fd.ww.dev/http\": opened afresh`) || !strings.Contains(lines[0], tt.log) {
				t.Errorf("runtime log %q: want one warning that fd.ww.dev/http was opened afresh, saying %q", b, tt.log)
			}
		})
	}
}

// TestPodListenerFreedWithSandbox: once the pod's containers and its
// sandbox are deleted, the port is free in the pod's network namespace and
// no process holds the socket.
func TestPodListenerFreedWithSandbox(t *testing.T) {
	p := newTestPod(t, map[string]string{"fd.ww.dev/http": "listen:tcp::8080"})
	p.startSandbox(p.ww)
	held := p.fdInode(p.sandbox, 3)
	p.stop(p.startApp("web", nil))
	p.stop(p.sandbox)
	holders, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range holders {
		if target, _ := os.Readlink(fd); target == "socket:["+held+"]" {
			t.Errorf("%s still holds the pod's socket %s", fd, held)
		}
	}
	done := make(chan error)
	go func() {
		runtime.LockOSThread() // and never unlocked: the thread ends with the goroutine
		fd, err := unix.Open(p.netns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			err = unix.Setns(fd, unix.CLONE_NEWNET)
			unix.Close(fd)
		}
		var s int
		if err == nil {
			s, err = unix.Socket(unix.AF_INET6, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		}
		if err == nil {
			err = unix.Bind(s, &unix.SockaddrInet6{Port: 8080})
			unix.Close(s)
		}
		done <- err
	}()
	if err := <-done; err != nil {
		t.Errorf("bind [::]:8080 in the pod's network after the pod: %v", err)
	}
}

// TestPodListenerShared: two containers of one pod that ask for the same
// pod listener share the sandbox's socket, and each accepts on it: the
// first answers; once the second runs and the first is stopped, the
// second answers, through the same socket, and no connection is refused.
func TestPodListenerShared(t *testing.T) {
	p := newTestPod(t, map[string]string{"fd.ww.dev/http": "listen:tcp::8080"})
	p.startSandbox(p.ww)
	held := p.fdInode(p.sandbox, 3)
	a := p.startApp("a", nil)
	c := p.startClient("127.0.0.1:8080")
	first := c.waitAnswerAfter(t, 0)
	b := p.startApp("b", nil)
	if p.fdInode(a, 3) != held || p.fdInode(b, 3) != held {
		t.Fatalf("sockets %s and %s, want the sandbox's %s for both", p.fdInode(a, 3), p.fdInode(b, 3), held)
	}
	p.stop(a)
	c.waitAnswerAfter(t, first)
	c.end()
	seen := map[int64]bool{}
	for _, ans := range c.answers {
		seen[ans.start] = true
		if ans.inode != held {
			t.Fatalf("an answer through socket %s, want %s", ans.inode, held)
		}
	}
	if len(seen) != 2 || c.refused != 0 || len(c.errs) != 0 {
		t.Errorf("answers from %d processes, want 2; %d refused, errors %v", len(seen), c.refused, c.errs)
	}
}

// TestPodListenerFoundByInode: a sandbox whose program moved the listener
// to another fd number than the record says still gives it: ww finds the
// socket by its inode among the sandbox's fds.
func TestPodListenerFoundByInode(t *testing.T) {
	p := newTestPod(t, map[string]string{"fd.ww.dev/http": "listen:tcp::8080"})
	p.startSandbox(p.ww)
	held := p.fdInode(p.sandbox, 3)
	path := filepath.Join(p.runc.state(p.sandbox).Bundle, podRecordName)
	rec, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	moved := strings.Replace(string(rec), `"fd":3`, `"fd":9`, 1)
	if moved == string(rec) {
		t.Fatalf("record %s has no fd 3", rec)
	}
	if err := os.WriteFile(path, []byte(moved), 0o600); err != nil {
		t.Fatal(err)
	}
	id := p.startApp("web", nil)
	if got := p.fdInode(id, 3); got != held {
		t.Errorf("app: http is socket %q, want the sandbox's %s", got, held)
	}
	if b, _ := os.ReadFile(p.ww.log); len(b) > 0 {
		t.Errorf("runtime log: %s", b)
	}
}

// TestPodListenerSameAddressOtherKey: a container whose own annotation
// asks for the address that the sandbox holds for the pod under another
// key gets the sandbox's socket, where binding its own would fail.
func TestPodListenerSameAddressOtherKey(t *testing.T) {
	p := newTestPod(t, map[string]string{"fd.ww.dev/http": "listen:tcp::8080"})
	p.startSandbox(p.ww)
	held := p.fdInode(p.sandbox, 3)
	id := p.startApp("web", map[string]string{"web.fd.ww.dev/http": "listen:tcp::8080"})
	if got := p.fdInode(id, 3); got != held {
		t.Errorf("app: http is socket %q, want the sandbox's %s", got, held)
	}
}
