package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ww-dev/ww/cmd/internal/podclient"
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

// testClient is a podclient.Client for one test.
type testClient struct{ c *podclient.Client }

// startClient starts a client of addr in the pod's network namespace,
// which connects in a tight loop until end.
func (p *testPod) startClient(addr string) testClient {
	p.t.Helper()
	c, err := podclient.Start(p.netns, addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() { c.Stop() })
	return testClient{c}
}

// waitAnswerAfter waits until the client has an answer from a server
// started after since, and returns its start.
func (c testClient) waitAnswerAfter(t *testing.T, since int64) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := c.c.WaitAnswerAfter(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	return a.Start
}

// end stops the client and returns what it saw.
func (c testClient) end() podclient.Result { return c.c.Stop() }
