package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// startNetNS starts a process in a network namespace of its own, loopback
// up, and returns its pid; it ends with the test.
func startNetNS(t *testing.T) int {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a network namespace")
	}
	cmd := exec.Command("unshare", "--net", "sh", "-c", "ip link set lo up && echo up && exec sleep 600")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("unshare: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	buf := make([]byte, 3)
	if _, err := out.Read(buf); err != nil || string(buf) != "up\n" {
		t.Fatalf("namespace not ready: %q %v", buf, err)
	}
	return cmd.Process.Pid
}

// TestRuntimeListenInContainerNetNS: a listener an annotation asks for is
// bound in the network namespace the config names by path, not on the
// node; a container that shares the node's network, or gets a new empty
// one, gets a listener of the node's.
func TestRuntimeListenInContainerNetNS(t *testing.T) {
	pid := startNetNS(t)
	nsPath := "/proc/" + strconv.Itoa(pid) + "/ns/net"
	tests := []struct {
		name   string
		ns     []map[string]string
		inNode bool
	}{
		{"network namespace by path: bound there", []map[string]string{{"type": "network", "path": nsPath}}, false},
		{"new network namespace: bound on the node", []map[string]string{{"type": "network"}}, true},
		{"node's network: bound on the node", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lower := newFakeLower(t, 0)
			r := newRuntimeCall(t, lower)
			// While the lower runtime holds the socket, the tables of
			// both namespaces say where it is.
			r.env = append(r.env, `WW_FAKE_HOOK=cat /proc/`+strconv.Itoa(pid)+`/net/tcp > "$n.nstcp"; cat /proc/net/tcp > "$n.nodetcp"`)
			bundle := fakeBundle(t, map[string]string{"fd.ww.dev/http": "listen:tcp:127.0.0.1:0"}, []string{"PATH=/bin"}, tt.ns...)
			if _, code := r.run(t, "create", "--bundle", bundle, "netns"); code != 0 {
				b, _ := os.ReadFile(r.log)
				t.Fatalf("exit %d: %s", code, b)
			}
			calls := lower.calls(t)
			if len(calls) != 1 {
				t.Fatalf("%d calls", len(calls))
			}
			ino, ok := strings.CutPrefix(calls[0].fds[3], "socket:[")
			if !ok {
				t.Fatalf("fd 3 of the lower runtime is %q, not a socket", calls[0].fds[3])
			}
			ino = strings.TrimSuffix(ino, "]")
			names, _ := filepath.Glob(filepath.Join(lower.dir, "call.??????"))
			inNS, inNode := hasInode(t, names[0]+".nstcp", ino), hasInode(t, names[0]+".nodetcp", ino)
			if inNS == tt.inNode || inNode != tt.inNode {
				t.Errorf("socket %s: in the container's table %v, in the node's %v; want on the node: %v", ino, inNS, inNode, tt.inNode)
			}
		})
	}
}

// hasInode reports whether a copy of /proc/net/tcp lists the socket inode.
func hasInode(t *testing.T, table, ino string) bool {
	t.Helper()
	b, err := os.ReadFile(table)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		if f := strings.Fields(line); len(f) > 9 && f[9] == ino {
			return true
		}
	}
	return false
}

// TestRuntimeListenInNetNSWithRunc: through real runc, the listener an
// annotation asks for is in the network namespace the config names, as
// the container's process holds it, and not on the node.
func TestRuntimeListenInNetNSWithRunc(t *testing.T) {
	requireRunc(t)
	pid := startNetNS(t)
	nsPath := "/proc/" + strconv.Itoa(pid) + "/ns/net"
	s := newShim(t, wwBin)
	bundle := makeBundle(t, []string{"fds"}, func(sp *specs.Spec) {
		sp.Annotations = map[string]string{"fd.ww.dev/http": "listen:tcp:127.0.0.1:0"}
		for i, ns := range sp.Linux.Namespaces {
			if ns.Type == specs.NetworkNamespace {
				sp.Linux.Namespaces[i].Path = nsPath
			}
		}
	})
	id := testID("ww-rt-netns")
	if _, code := s.create(id, bundle, nil); code != 0 {
		b, _ := os.ReadFile(s.log)
		t.Fatalf("create: exit %d; log %s", code, b)
	}
	st := s.state(id)
	target, err := os.Readlink("/proc/" + strconv.Itoa(st.Pid) + "/fd/3")
	if err != nil {
		t.Fatal(err)
	}
	ino, ok := strings.CutPrefix(target, "socket:[")
	if !ok {
		t.Fatalf("fd 3 of the container's process is %q, not a socket", target)
	}
	ino = strings.TrimSuffix(ino, "]")
	dir := t.TempDir()
	nsTable, nodeTable := filepath.Join(dir, "ns"), filepath.Join(dir, "node")
	for path, from := range map[string]string{nsTable: "/proc/" + strconv.Itoa(pid) + "/net/tcp", nodeTable: "/proc/self/net/tcp"} {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !hasInode(t, nsTable, ino) || hasInode(t, nodeTable, ino) {
		t.Errorf("socket %s: in the namespace's table %v, in the node's %v; want only the namespace's",
			ino, hasInode(t, nsTable, ino), hasInode(t, nodeTable, ino))
	}
}
