package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestRuntimeRefusedWithRunc: ww runtime create, with real runc below it,
// of a bundle in a network namespace of the test whose requests the node
// policy refuses in part. The create fails with the policy's message;
// what the granted requests would have made (a file, a socket file, a
// listener in the namespace) is not there, runc has no container, no
// process holds an fd of the test's folder, and config.json is as it was.
func TestRuntimeRefusedWithRunc(t *testing.T) {
	requireRunc(t)
	pid := startNetNS(t)
	nsPath := "/proc/" + strconv.Itoa(pid) + "/ns/net"
	dir := t.TempDir()
	made, sock := filepath.Join(dir, "made"), filepath.Join(dir, "s.sock")
	s := newShim(t, wwBin)
	bundle := makeBundle(t, []string{"fds"}, func(sp *specs.Spec) {
		sp.Annotations = map[string]string{
			"fd.ww.dev/made": "file:" + made + "?mode=w&create=0600",
			"fd.ww.dev/sock": "listen:unix:" + sock,
			"fd.ww.dev/http": "listen:tcp:127.0.0.1:0",
			// Beneath no folder of the test policy's raw list.
			"fd.ww.dev/bad": "file:/usr/share/ww-refused",
		}
		for i, ns := range sp.Linux.Namespaces {
			if ns.Type == specs.NetworkNamespace {
				sp.Linux.Namespaces[i].Path = nsPath
			}
		}
	})
	config := filepath.Join(bundle, "config.json")
	before, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	tablesBefore := netTables(t, pid)
	id := testID("ww-rt-refused")
	if _, code := s.create(id, bundle, nil); code == 0 {
		t.Fatal("create of a refused request: exit 0")
	}
	log, _ := os.ReadFile(s.log)
	want := `annotation \"fd.ww.dev/bad\": \"file:/usr/share/ww-refused\": not allowed for namespace \"@local\" by node policy ` + runtimePolicy
	if !strings.Contains(string(log), want) {
		t.Errorf("log %s: want %s", log, want)
	}
	if out, err := exec.Command("runc", "--root", s.root, "state", id).CombinedOutput(); err == nil {
		t.Errorf("runc has the container: %s", out)
	}
	for _, f := range []string{made, sock} {
		if _, err := os.Lstat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is there after a refusal (%v)", f, err)
		}
	}
	if after, err := os.ReadFile(config); err != nil || !bytes.Equal(after, before) {
		t.Errorf("config.json changed (%v)", err)
	}
	if got := netTables(t, pid); got != tablesBefore {
		t.Errorf("the namespace's sockets changed:\nbefore %s\nafter %s", tablesBefore, got)
	}
	if holders := fdsBeneath(dir); len(holders) > 0 {
		t.Errorf("processes hold fds beneath %s: %v", dir, holders)
	}
}

// netTables returns the TCP and Unix socket tables of pid's network
// namespace.
func netTables(t *testing.T, pid int) string {
	t.Helper()
	var b strings.Builder
	for _, table := range []string{"tcp", "unix"} {
		data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/net/" + table)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	return b.String()
}

// fdsBeneath returns "pid: fd -> path" for every fd of any process that
// is a file beneath dir.
func fdsBeneath(dir string) []string {
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
