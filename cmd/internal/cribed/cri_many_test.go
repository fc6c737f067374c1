package cribed_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	cri "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ww-dev/ww/cmd/internal/cribed"
)

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
	eachFD(func(pid, fd, target string) {
		if strings.HasPrefix(target, dir+"/") {
			out = append(out, pid+": "+fd+" -> "+target)
		}
	})
	return out
}

// eachFD calls f with every fd of every process and what it links to.
func eachFD(f func(pid, fd, target string)) {
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		if _, err := strconv.Atoi(p.Name()); err != nil {
			continue
		}
		fds, _ := os.ReadDir("/proc/" + p.Name() + "/fd")
		for _, fd := range fds {
			target, _ := os.Readlink("/proc/" + p.Name() + "/fd/" + fd.Name())
			f(p.Name(), fd.Name(), target)
		}
	}
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
