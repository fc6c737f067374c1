package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSystemdRealServers socket-activates real systemd-aware servers
// (gunicorn, lighttpd) through ww run --systemd on a listen:unix socket
// and fetches a page through it. Neither server is told the socket's
// path, so the page can only come through the fd ww passed.
func TestSystemdRealServers(t *testing.T) {
	tests := []struct {
		name   string
		binary string
		setup  func(t *testing.T, dir string) []string // the server's argv
		want   string
	}{
		{"gunicorn, page served on the passed socket", "gunicorn", gunicornArgs, "hello from gunicorn"},
		{"lighttpd, page served on the passed socket", "lighttpd", lighttpdArgs, "hello from lighttpd"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := exec.LookPath(tc.binary); err != nil {
				t.Skipf("%s is not installed (make test installs it)", tc.binary)
			}
			dir := t.TempDir()
			sock := filepath.Join(dir, "http.sock")
			argv := append([]string{"run", "--systemd", "--with-fd", "http=listen:unix:" + sock, "--"}, tc.setup(t, dir)...)
			cmd := exec.Command(wwBin, argv...)
			cmd.Env = cleanEnv()
			var logs strings.Builder
			cmd.Stdout, cmd.Stderr = &logs, &logs
			// Its own process group, so that the server's workers go too.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			cmd.WaitDelay = 5 * time.Second
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); cmd.Wait() })
			body, err := getUnix(sock, 10*time.Second)
			if err != nil {
				t.Fatalf("GET through %s: %v; server said %q", sock, err, logs.String())
			}
			if !strings.Contains(body, tc.want) {
				t.Errorf("page %q, want %q", body, tc.want)
			}
		})
	}
}

func gunicornArgs(t *testing.T, dir string) []string {
	t.Helper()
	app := "def app(environ, start_response):\n" +
		"    start_response('200 OK', [('Content-Type', 'text/plain')])\n" +
		"    return [b'hello from gunicorn\\n']\n"
	if err := os.WriteFile(filepath.Join(dir, "wwapp.py"), []byte(app), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"gunicorn", "--chdir", dir, "--workers", "1", "wwapp:app"}
}

func lighttpdArgs(t *testing.T, dir string) []string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("hello from lighttpd\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := "server.document-root = \"" + dir + "\"\n" +
		"server.systemd-socket-activation = \"enable\"\n" +
		"server.bind = \"" + filepath.Join(dir, "own.sock") + "\"\n" +
		"server.errorlog = \"" + filepath.Join(dir, "error.log") + "\"\n" +
		"index-file.names = (\"index.html\")\n"
	path := filepath.Join(dir, "lighttpd.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"lighttpd", "-D", "-f", path}
}

// getUnix fetches / over HTTP through a Unix socket, retrying while the
// server starts.
func getUnix(sock string, timeout time.Duration) (string, error) {
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
	}, Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	for {
		resp, err := client.Get("http://ww/")
		if err == nil {
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			return string(b), err
		}
		if time.Now().After(deadline) {
			return "", err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
