package fdmgr

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// newNetNS starts a process in a network namespace of its own, loopback
// up, and returns the path of that namespace; the process ends with the
// test.
func newNetNS(t *testing.T) string {
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
	return "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/ns/net"
}

// netnsOf is the inode of the network namespace a socket belongs to.
func netnsOf(t *testing.T, sock int) uint64 {
	t.Helper()
	ns, err := unix.IoctlRetInt(sock, unix.SIOCGSKNS)
	if err != nil {
		t.Fatalf("SIOCGSKNS: %v", err)
	}
	defer unix.Close(ns)
	var st unix.Stat_t
	if err := unix.Fstat(ns, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// TestPrepareFDsListenNetNS: with ListenNetNS, listeners on IP networks
// and abstract unix addresses are bound in that namespace; a unix socket
// at a path, and everything else, are opened in this process's own; the
// calling thread stays in its namespace.
func TestPrepareFDsListenNetNS(t *testing.T) {
	ns := newNetNS(t)
	sockPath := filepath.Join(t.TempDir(), "s.sock")
	abstract := "@ww-netns-test-" + strconv.Itoa(os.Getpid())
	m := NewFDManager()
	m.ListenNetNS = ns
	for _, v := range []string{"a=listen:tcp:127.0.0.1:0", "b=listen:udp6:[::1]:0", "c=listen:unix:" + abstract,
		"d=listen:unix:" + sockPath, "e=file:/dev/null"} {
		if err := m.ParseFDFlag(v); err != nil {
			t.Fatal(err)
		}
	}
	host := inode(t, "/proc/self/ns/net")
	if err := m.PrepareFDs(); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	inNS := inode(t, ns)
	if inNS == host {
		t.Fatal("the test's namespace is the host's")
	}
	for _, fd := range m.FDs() {
		want := host
		if strings.Contains("abc", fd.Name) {
			want = inNS
		}
		if fd.Name == "e" {
			continue
		}
		if got := netnsOf(t, fd.Dup); got != want {
			t.Errorf("%s: socket in namespace %d, want %d (container %d, host %d)", fd.Name, got, want, inNS, host)
		}
	}
	// Neither this thread nor the main one is left in the namespace.
	for _, self := range []string{"/proc/thread-self/ns/net", "/proc/self/ns/net"} {
		if got := inode(t, self); got != host {
			t.Errorf("%s is left in namespace %d", self, got)
		}
	}
}

func TestPrepareFDsListenNetNSErrors(t *testing.T) {
	m := NewFDManager()
	m.ListenNetNS = "/nonexistent/ns/net"
	if err := m.ParseFDFlag("a=listen:tcp:127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := m.PrepareFDs()
	if err == nil || err.Error() != `"a=listen:tcp:127.0.0.1:0": enter network namespace "/nonexistent/ns/net": no such file or directory` {
		t.Errorf("error = %v", err)
	}
	if time.Since(start) > time.Second {
		t.Errorf("took %v", time.Since(start))
	}
	// A file that is no namespace is refused by the kernel.
	m = NewFDManager()
	m.ListenNetNS = "/dev/null"
	if err := m.ParseFDFlag("a=listen:tcp:127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := m.PrepareFDs(); err == nil || !strings.Contains(err.Error(), "invalid argument") {
		t.Errorf("/dev/null as namespace: %v", err)
	}
}
