package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestSandboxHoldsWhatItCan: a pod's sandbox gets the pod's listeners of
// its network by --preserve-fds alone, its config untouched, and a record
// of where each lands; a listener that cannot be opened, a request that
// is not a listener and a listener at a path of the node are not held, a
// warning says so, and the sandbox is created all the same. A sandbox
// whose lower runtime fails leaves no record.
func TestSandboxHoldsWhatItCan(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	sock := filepath.Join(t.TempDir(), "pod.sock")
	annotations := map[string]string{
		"io.kubernetes.cri.container-type": "sandbox",
		"io.kubernetes.cri.sandbox-id":     "sb",
		"fd.ww.dev/http":                   "listen:tcp:127.0.0.1:0",
		"web.fd.ww.dev/busy":               "listen:tcp:" + busy.Addr().String(),
		"fd.ww.dev/db":                     "node:null",
		"fd.ww.dev/sock":                   "listen:unix:" + sock,
	}
	for _, status := range []int{0, 1} {
		t.Run("lower runtime exits "+strconv.Itoa(status), func(t *testing.T) {
			lower := newFakeLower(t, status)
			r := newRuntimeCall(t, lower)
			bundle := fakeBundle(t, annotations, []string{"PATH=/bin"})
			before, _ := os.ReadFile(filepath.Join(bundle, "config.json"))
			if _, code := r.run(t, "create", "--bundle", bundle, "sb"); code != status {
				t.Fatalf("exit %d, want %d", code, status)
			}
			calls := lower.calls(t)
			if len(calls) != 1 {
				t.Fatalf("%d calls of the lower runtime, want 1", len(calls))
			}
			c := calls[0]
			if !slices.Contains(c.argv, "--preserve-fds") || !bytes.Equal(c.config, before) {
				t.Errorf("argv %q, config edited %v: want --preserve-fds and the config as it was", c.argv, !bytes.Equal(c.config, before))
			}
			ino, ok := strings.CutPrefix(c.fds[3], "socket:[")
			if _, extra := c.fds[4]; !ok || extra {
				t.Fatalf("the lower runtime's fds %v: want the listener at 3 and nothing after", c.fds)
			}
			if _, err := os.Lstat(sock); err == nil {
				t.Errorf("%s was made: a sandbox holds no listener at a path", sock)
			}
			b, _ := os.ReadFile(r.log)
			if !strings.Contains(string(b), `"level":"warning"`) || !strings.Contains(string(b), `web.fd.ww.dev/busy`) ||
				!strings.Contains(string(b), "address already in use") || strings.Count(string(b), "\n") != 1 {
				t.Errorf("log %q: want one warning that web.fd.ww.dev/busy is in use", b)
			}
			rec, err := os.ReadFile(filepath.Join(bundle, podRecordName))
			if status != 0 {
				if err == nil {
					t.Errorf("a record is left after a failed create: %s", rec)
				}
				return
			}
			var got podRecord
			if err != nil || json.Unmarshal(rec, &got) != nil {
				t.Fatalf("record %q: %v", rec, err)
			}
			want := []heldListener{{Key: "fd.ww.dev/http", Source: "listen:tcp:127.0.0.1:0", FD: 3, Inode: atou(t, strings.TrimSuffix(ino, "]"))}}
			if !slices.Equal(got.Listeners, want) {
				t.Errorf("record %+v, want %+v", got.Listeners, want)
			}
		})
	}
}

// TestSandboxPolicyUnusable: a node policy that cannot be used refuses
// the pod's listeners; the sandbox is created without them, as without
// ww, and a warning says why.
func TestSandboxPolicyUnusable(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte("version: 1\n\tbad: tab\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lower := newFakeLower(t, 0)
	r := newRuntimeCall(t, lower)
	r.env = append(r.env, "WW_POLICY="+policy)
	bundle := fakeBundle(t, map[string]string{
		"io.kubernetes.cri.container-type": "sandbox",
		"fd.ww.dev/http":                   "listen:tcp:127.0.0.1:0",
	}, []string{"PATH=/bin"})
	if _, code := r.run(t, "create", "--bundle", bundle, "sb"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	calls := lower.calls(t)
	if len(calls) != 1 || slices.Contains(calls[0].argv, "--preserve-fds") || calls[0].fds[3] != "" {
		t.Fatalf("calls %+v: want one, without fds", calls)
	}
	b, _ := os.ReadFile(r.log)
	if !strings.Contains(string(b), `"level":"warning"`) || !strings.Contains(string(b), policy) {
		t.Errorf("log %q: want a warning naming the policy", b)
	}
	if _, err := os.Stat(filepath.Join(bundle, podRecordName)); err == nil {
		t.Error("a record was written")
	}
}

func atou(t *testing.T, s string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCheckBound: a taken socket must be bound where the request says.
func TestCheckBound(t *testing.T) {
	any6 := &unix.SockaddrInet6{Port: 8080}
	tests := []struct {
		name   string
		domain int
		sa     unix.Sockaddr
		source string
		want   string // "" for a match, else part of the error
	}{
		{"every address, dual stack: match", unix.AF_INET6, any6, "listen:tcp::8080", ""},
		{"every address, IPv4 only kernel: match", unix.AF_INET, &unix.SockaddrInet4{Port: 8080}, "listen:tcp::8080", ""},
		{"other port: mismatch", unix.AF_INET6, &unix.SockaddrInet6{Port: 8081}, "listen:tcp::8080", "not port 8080"},
		{"port 0 asked: any port", unix.AF_INET6, &unix.SockaddrInet6{Port: 40000}, "listen:tcp::0", ""},
		{"address asked: match", unix.AF_INET, &unix.SockaddrInet4{Port: 8080, Addr: [4]byte{127, 0, 0, 1}}, "listen:tcp:127.0.0.1:8080", ""},
		{"other address: mismatch", unix.AF_INET, &unix.SockaddrInet4{Port: 8080, Addr: [4]byte{127, 0, 0, 2}}, "listen:tcp:127.0.0.1:8080", "not 127.0.0.1"},
		{"every address for one asked: mismatch", unix.AF_INET6, any6, "listen:tcp:127.0.0.1:8080", "not 127.0.0.1"},
		{"tcp6 on IPv4: mismatch", unix.AF_INET, &unix.SockaddrInet4{Port: 8080}, "listen:tcp6::8080", "not IPv6"},
		{"abstract unix: match", unix.AF_UNIX, &unix.SockaddrUnix{Name: "@pod"}, "listen:unix:@pod", ""},
		{"other unix: mismatch", unix.AF_UNIX, &unix.SockaddrUnix{Name: "@other"}, "listen:unix:@pod", "not the unix socket"},
		{"IP for unix: mismatch", unix.AF_INET6, any6, "listen:unix:@pod", "not the unix socket"},
		{"unix for IP: mismatch", unix.AF_UNIX, &unix.SockaddrUnix{Name: "@pod"}, "listen:tcp::8080", "not an IP socket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkBound(tt.domain, tt.sa, listenSource(t, tt.source))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("checkBound: %v, want a match", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("checkBound: %v, want an error with %q", err, tt.want)
			}
		})
	}
}
