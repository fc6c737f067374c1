package main

import (
	"bufio"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSystemdActivation runs real consumers of the socket-activation
// protocol under ww run --systemd: go-systemd's activation package and
// libsystemd's sd_listen_fds_with_names, each serving one connection on a
// socket ww opened.
func TestSystemdActivation(t *testing.T) {
	tests := []struct {
		name   string
		probe  func(t *testing.T) string
		source func(dir string) string
	}{
		{"go-systemd, listen:tcp port 0, served", goProbe, func(string) string { return "listen:tcp:127.0.0.1:0" }},
		{"go-systemd, listen:unix, served", goProbe, func(dir string) string { return "listen:unix:" + filepath.Join(dir, "s.sock") }},
		{"libsystemd, listen:tcp port 0, served", cProbe, func(string) string { return "listen:tcp:127.0.0.1:0" }},
		{"libsystemd, listen:unix, served", cProbe, func(dir string) string { return "listen:unix:" + filepath.Join(dir, "s.sock") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bin := tc.probe(t)
			dir := t.TempDir()
			// Two other fds come first, so the one served is not at 3.
			cmd := exec.Command(wwBin, "run", "--systemd", "--with-fd", "in=0",
				"--with-fd", "http="+tc.source(dir), "--with-fd", "zlog=file:/dev/null", "--", bin, "http")
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			br := bufio.NewReader(out)
			line, err := br.ReadString('\n')
			addr, ok := strings.CutPrefix(strings.TrimSpace(line), "ready ")
			if !ok {
				cmd.Wait()
				t.Fatalf("probe said %q, %v; stderr %q", line, err, stderr.String())
			}
			network := "tcp"
			if strings.HasPrefix(addr, "/") {
				network = "unix"
			}
			conn, err := net.DialTimeout(network, addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			reply, err := io.ReadAll(conn)
			if err != nil {
				t.Fatal(err)
			}
			// The pid that answers is ww's own: ww became the program.
			want := "hello http " + strconv.Itoa(cmd.Process.Pid) + "\n"
			if string(reply) != want {
				t.Errorf("reply %q, want %q", reply, want)
			}
			if err := cmd.Wait(); err != nil {
				t.Errorf("ww: %v; stderr %q", err, stderr.String())
			}
		})
	}
}

func goProbe(t *testing.T) string { t.Helper(); return sdprobeBin }

func cProbe(t *testing.T) string {
	t.Helper()
	if sdprobeCBin == "" {
		t.Skip("libsystemd's headers or gcc are missing (make test installs libsystemd-dev)")
	}
	return sdprobeCBin
}

// TestSystemdEnvironment checks the exact protocol variables, that an
// outer activation's are replaced, and that the fds are in place.
func TestSystemdEnvironment(t *testing.T) {
	env := append(cleanEnv(), "LISTEN_FDS=5", "LISTEN_PID=1", "LISTEN_FDNAMES=old", "WW_FD_OLD=4")
	res := runWW(t, tempFiles(t, 2), env, "run", "--systemd",
		"--with-fd", "web=listen:tcp:127.0.0.1:0", "--with-fd", "b=4", "--with-fd", "a=3", "--", probeBin)
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	r := parseReport(t, res.stdout)
	want := []string{"WW_FD_A=3", "WW_FD_B=4", "WW_FD_WEB=5",
		"LISTEN_FDS=3", "LISTEN_FDNAMES=a:b:web", "LISTEN_PID=" + strconv.Itoa(r.PID)}
	var got []string
	for _, kv := range r.Env {
		if strings.HasPrefix(kv, "WW_FD_") || strings.HasPrefix(kv, "LISTEN_") {
			got = append(got, kv)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("env %q, want %q", got, want)
	}
	if len(r.FDs) != 6 || !strings.HasSuffix(r.FDs[3], "/f0") || !strings.HasSuffix(r.FDs[4], "/f1") ||
		!strings.HasPrefix(r.FDs[5], "socket:") {
		t.Errorf("child fds %v, want f0 at 3, f1 at 4, a socket at 5 and nothing else", r.FDs)
	}
}
