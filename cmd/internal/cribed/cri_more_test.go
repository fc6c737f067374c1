package cribed_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	cri "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ww-dev/ww/cmd/internal/cribed"
)

// testSpoofedNamespace: a pod of namespace ww-b writes the keys that
// carry a container's namespace, as pod and container annotations and
// labels, to get ww-a's resource. Through ww's handler the keys are not
// passed on; through a handler that passes every annotation, containerd
// merges them with its own: either way the request must be refused.
func testSpoofedNamespace(ctx context.Context, t *testing.T, d *cribed.Daemon) {
	spoof := func(keys ...string) map[string]string {
		m := map[string]string{}
		for _, k := range keys {
			m[k] = "ww-a"
		}
		return m
	}
	const criKey, crioKey = "io.kubernetes.cri.sandbox-namespace", "io.kubernetes.pod.namespace"
	cases := []struct {
		name                      string
		podAnn, ctrAnn, ctrLabels map[string]string
	}{
		{name: "pod annotation " + criKey, podAnn: spoof(criKey)},
		{name: "pod annotation " + crioKey, podAnn: spoof(crioKey)},
		{name: "pod annotations, both keys", podAnn: spoof(criKey, crioKey)},
		{name: "container annotations, both keys", ctrAnn: spoof(criKey, crioKey)},
		{name: "labels, both keys", ctrLabels: spoof(criKey, crioKey)},
	}
	for _, handler := range []string{"ww", "wwall"} {
		for i, c := range cases {
			t.Run(handler+"/"+c.name, func(t *testing.T) {
				ann := map[string]string{"fd.ww.dev/one": "node:alpha"}
				for k, v := range c.podAnn {
					ann[k] = v
				}
				p := runPod(ctx, t, d, cribed.PodSpec{Name: fmt.Sprintf("spoof-%s-%d", handler, i), Namespace: "ww-b",
					Handler: handler, Annotations: ann, Labels: c.ctrLabels})
				id, err := p.Create(ctx, cribed.ContainerSpec{Name: "probe", Args: []string{"fds"},
					Annotations: c.ctrAnn, Labels: c.ctrLabels})
				if err != nil {
					t.Fatal(err)
				}
				err = p.StartContainer(ctx, id)
				if err == nil {
					lines, _ := p.Log(ctx, "probe")
					t.Fatalf("a pod of ww-b got ww-a's resource: %q", lines)
				}
				t.Logf("refused: %v", err)
				refused := `resource "alpha" is not allowed for namespace "ww-b"`
				disagree := fmt.Sprintf("annotations %q (%q) and %q (%q) disagree", criKey, "ww-b", crioKey, "ww-a")
				if !strings.Contains(err.Error(), refused) && !strings.Contains(err.Error(), disagree) {
					t.Errorf("start error %q: want %q or %q", err, refused, disagree)
				}
			})
		}
	}
}

// testRefusedLeavesNothing: a container whose requests the policy
// refuses in part fails to start through ww and real runc, with nothing
// opened or made for the granted part, no runc container, and its
// config.json as containerd wrote it.
func testRefusedLeavesNothing(ctx context.Context, t *testing.T, d *cribed.Daemon) {
	dir := manyDir(t, d)
	made, sock := filepath.Join(dir, "refused-made"), filepath.Join(dir, "refused.sock")
	p, id := startRefused(ctx, t, d, cribed.PodSpec{Name: "refused", Namespace: "ww-many", Handler: "ww",
		Annotations: map[string]string{
			"fd.ww.dev/made": "file:" + made + "?mode=w&create=0600",
			"fd.ww.dev/sock": "listen:unix:" + sock,
			"fd.ww.dev/bad":  "node:alpha",
		}}, `annotation "fd.ww.dev/bad"`, `resource "alpha" is not allowed for namespace "ww-many"`)
	for _, f := range []string{made, sock} {
		if _, err := os.Lstat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is there after a refusal (%v)", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(d.State, "runc", "k8s.io", id)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("runc has state for the refused container (%v)", err)
	}
	config, err := os.ReadFile(filepath.Join(d.State, "io.containerd.runtime.v2.task", "k8s.io", id, "config.json"))
	if err == nil && strings.Contains(string(config), "WW_FD_") {
		t.Errorf("the refused container's config.json was edited")
	}
	if holders := holdersOf(dir); len(holders) > 0 {
		t.Errorf("processes hold files of %s: %v", dir, holders)
	}
	if pids := wwProcesses(d); len(pids) > 0 {
		t.Errorf("ww processes still run: %v", pids)
	}
	_ = p
}

// testManyPods: 20 pods at once, each asking for its own file and a
// listener on the same address of its own network; each container sees
// exactly its own, and after the pods are removed nothing is left. No
// pod asks for a listen:unix: path: ww runtime leaves such a socket file
// when the container is deleted (its removal is the poststop hook's
// part), and this test would find it.
func testManyPods(ctx context.Context, t *testing.T, d *cribed.Daemon) {
	const n = 20
	dir := manyDir(t, d)
	type result struct {
		pod *cribed.Pod
		ctr string
		rep report
		err error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		own := filepath.Join(dir, "pod-"+strconv.Itoa(i))
		if err := os.WriteFile(own, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[i]
			r.pod, r.err = d.RunPod(ctx, cribed.PodSpec{Name: "many-" + strconv.Itoa(i), Namespace: "ww-many", Handler: "ww",
				Annotations: map[string]string{"fd.ww.dev/own": "file:" + own, "fd.ww.dev/net": "listen:tcp:127.0.0.1:9000"}})
			if r.err != nil {
				return
			}
			if r.ctr, r.err = r.pod.Start(ctx, cribed.ContainerSpec{Name: "probe", Args: []string{"fds"}}); r.err != nil {
				return
			}
			if _, r.err = r.pod.Wait(ctx, r.ctr); r.err != nil {
				return
			}
			var lines []string
			if lines, r.err = r.pod.Log(ctx, "probe"); r.err == nil {
				r.rep = parseReport(t, lines)
			}
		}()
	}
	wg.Wait()
	var ids []string
	for i, r := range results {
		if r.pod != nil {
			ids = append(ids, r.pod.ID)
		}
		if r.ctr != "" {
			ids = append(ids, r.ctr)
		}
		if r.err != nil {
			t.Errorf("pod %d: %v", i, r.err)
			continue
		}
		wantFDs(t, r.rep, map[string]string{"OWN": filepath.Join(dir, "pod-"+strconv.Itoa(i)), "NET": "socket"})
	}
	for _, r := range results {
		if r.pod == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.pod.Remove(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	wantNothingLeft(ctx, t, d, dir, ids)
}

// wantNothingLeft checks that no process holds a file of dir, that dir
// holds only the pods' own files, and that nothing of the containers
// and pods ids is left: no CRI record, no bundle, no runc state, no
// mount, no process.
func wantNothingLeft(ctx context.Context, t *testing.T, d *cribed.Daemon, dir string, ids []string) {
	t.Helper()
	if holders := holdersOf(dir); len(holders) > 0 {
		t.Errorf("processes hold files of %s: %v", dir, holders)
	}
	if pids := wwProcesses(d); len(pids) > 0 {
		t.Errorf("ww processes still run: %v", pids)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), "pod-") {
			t.Errorf("%s: %s is left (%v)", dir, e.Name(), e.Type())
		}
	}
	cs, err := d.Runtime.ListContainers(ctx, &cri.ListContainersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	pods, err := d.Runtime.ListPodSandbox(ctx, &cri.ListPodSandboxRequest{})
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, c := range cs.Containers {
		known[c.Id] = true
	}
	for _, p := range pods.Items {
		known[p.Id] = true
	}
	mounts := strings.Join(append(cribed.Mounts(d.State), cribed.Mounts(d.Dir)...), "\n")
	for _, id := range ids {
		if known[id] {
			t.Errorf("the CRI still lists %.12s", id)
		}
		for _, p := range []string{filepath.Join(d.State, "io.containerd.runtime.v2.task", "k8s.io", id), filepath.Join(d.State, "runc", "k8s.io", id)} {
			if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s is left (%v)", p, err)
			}
		}
		if strings.Contains(mounts, id) {
			t.Errorf("a mount of %.12s is left:\n%s", id, mounts)
		}
		if pids := cribed.ProcessesNaming(id); len(pids) > 0 {
			t.Errorf("processes naming %.12s still run: %v", id, pids)
		}
	}
}

// holdersOf returns "pid: fd -> path" for every fd of any process that
// is a file beneath dir.
func holdersOf(dir string) []string {
	var out []string
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		if _, err := strconv.Atoi(p.Name()); err != nil {
			continue
		}
		fds, _ := os.ReadDir("/proc/" + p.Name() + "/fd")
		for _, fd := range fds {
			target, _ := os.Readlink("/proc/" + p.Name() + "/fd/" + fd.Name())
			if strings.HasPrefix(target, dir+"/") {
				out = append(out, p.Name()+": "+fd.Name()+" -> "+target)
			}
		}
	}
	return out
}

// manyDir returns the folder beneath DIR/many of the daemon's own.
func manyDir(t *testing.T, d *cribed.Daemon) string {
	t.Helper()
	dir := filepath.Join(dataDir, "many", d.Flavor.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// wwProcesses returns the pids of running processes of the ww binary the
// tests built (ww runtime, whatever its name) for the daemon d: runc's
// root, one of their arguments, is beneath the daemon's state.
func wwProcesses(d *cribed.Daemon) []int {
	var pids []int
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		exe, _ := os.Readlink("/proc/" + p.Name() + "/exe")
		cmdline, _ := os.ReadFile("/proc/" + p.Name() + "/cmdline")
		if exe == bins.WW && strings.Contains(string(cmdline), "\x00"+d.State+"/") {
			pids = append(pids, pid)
		}
	}
	return pids
}

// dialInNetNS connects to addr from inside the network namespace of pid
// and returns the first line it answers. The thread that entered the
// namespace goes back to the Go runtime only once it is back in its own;
// otherwise it ends with its goroutine.
func dialInNetNS(pid int, addr string) (string, error) {
	type answer struct {
		line string
		err  error
	}
	c := make(chan answer, 1)
	go func() {
		runtime.LockOSThread()
		own, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			c <- answer{err: err}
			return
		}
		defer unix.Close(own)
		ns, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			c <- answer{err: err}
			return
		}
		defer unix.Close(ns)
		if err := unix.Setns(ns, unix.CLONE_NEWNET); err != nil {
			c <- answer{err: fmt.Errorf("setns: %w", err)}
			return
		}
		line, err := readFirstLine(addr)
		if unix.Setns(own, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		c <- answer{line, err}
	}()
	a := <-c
	return a.line, a.err
}

func readFirstLine(addr string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return line, err
}

// nodeListens reports whether the socket inode is a listener of the
// test's own network namespace, read on a thread that is in it (a
// thread, not the process: its main thread could be elsewhere).
func nodeListens(inode string) bool {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return listensIn("/proc/thread-self/net/tcp", inode)
}

// listensIn reports whether the socket inode is a listener (state 0A) in
// a /proc/net/tcp table.
func listensIn(table, inode string) bool {
	b, err := os.ReadFile(table)
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(l)
		if len(f) > 9 && f[3] == "0A" && f[9] == inode {
			return true
		}
	}
	return false
}
