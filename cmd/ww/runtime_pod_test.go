package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

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
	r := c.end()
	if r.Refused != 0 || len(r.Errors) != 0 {
		t.Errorf("%d connections refused, %d failed (%v), %d answered", r.Refused, len(r.Errors), r.Errors, len(r.Answers))
	}
	prev, seen := int64(0), map[int64]bool{}
	for _, a := range r.Answers {
		if a.Start < prev {
			t.Fatalf("an answer from a server started at %d after one from %d: an old process answered after the new one", a.Start, prev)
		}
		if a.Inode != held {
			t.Fatalf("an answer through socket %s, want %s", a.Inode, held)
		}
		prev, seen[a.Start] = a.Start, true
	}
	if len(seen) != 6 {
		t.Errorf("answers from %d processes, want 6", len(seen))
	}
	t.Logf("%d connections answered across 5 restarts, none refused", len(r.Answers))
	if b, _ := os.ReadFile(p.ww.log); strings.Contains(string(b), "pod sandbox") {
		t.Errorf("ww's warning in the runtime log: %s", b)
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
	r := c.end()
	if r.Refused == 0 {
		t.Errorf("no connection refused across 2 restarts of a container binding its own socket (%d answered)", len(r.Answers))
	}
	t.Logf("%d connections refused, %d answered", r.Refused, len(r.Answers))
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
			// runc's own warnings go to the same log.
			var lines []string
			for _, l := range strings.Split(string(b), "\n") {
				if strings.Contains(l, "pod sandbox") {
					lines = append(lines, l)
				}
			}
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
	r := c.end()
	seen := map[int64]bool{}
	for _, ans := range r.Answers {
		seen[ans.Start] = true
		if ans.Inode != held {
			t.Fatalf("an answer through socket %s, want %s", ans.Inode, held)
		}
	}
	if len(seen) != 2 || r.Refused != 0 || len(r.Errors) != 0 {
		t.Errorf("answers from %d processes, want 2; %d refused, errors %v", len(seen), r.Refused, r.Errors)
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
	if b, _ := os.ReadFile(p.ww.log); strings.Contains(string(b), "pod sandbox") {
		t.Errorf("ww's warning in the runtime log: %s", b)
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
