package cribed_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/cmd/internal/cribed"
)

var socketInode = regexp.MustCompile(`^socket:\[(\d+)\]$`)

func testListenInPod(ctx context.Context, t *testing.T, d *cribed.Daemon) {
	p, r := runProbe(ctx, t, d, cribed.PodSpec{Name: "listen", Namespace: "ww-b", Handler: "ww",
		Annotations: map[string]string{"fd.ww.dev/http": "listen:tcp:127.0.0.1:8080"}},
		cribed.ContainerSpec{Name: "serve", Args: []string{"serve", "http"}})
	wantFDs(t, r, map[string]string{"HTTP": "socket"})
	n, _ := strconv.Atoi(r.wwVars()["WW_FD_HTTP"])
	m := socketInode.FindStringSubmatch(r.FDs[n])
	if m == nil {
		t.Fatalf("fd %d is %q, not a socket", n, r.FDs[n])
	}
	pid, err := p.SandboxPID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := dialInNetNS(pid, "127.0.0.1:8080")
	if err != nil {
		t.Fatalf("connect in the pod's network: %v", err)
	}
	if want := "probe " + strconv.Itoa(r.PID) + "\n"; got != want {
		t.Errorf("the pod's 127.0.0.1:8080 answered %q, want %q", got, want)
	}
	if !listensIn("/proc/"+strconv.Itoa(pid)+"/net/tcp", m[1]) {
		t.Errorf("socket %s is not a listener of the pod's network", m[1])
	}
	if nodeListens(m[1]) {
		t.Errorf("socket %s listens in the node's network", m[1])
	}
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
