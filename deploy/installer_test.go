package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	wwOnce sync.Once
	wwPath string
	wwErr  error
	wwDir  string
)

// buildWW builds ww once for the package's tests.
func buildWW(t *testing.T) string {
	t.Helper()
	wwOnce.Do(func() {
		wwDir, wwErr = os.MkdirTemp("", "ww-deploy-test-")
		if wwErr != nil {
			return
		}
		wwPath = filepath.Join(wwDir, "ww")
		cmd := exec.Command("go", "build", "-o", wwPath, "../cmd/ww")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			wwErr = &buildError{err, out}
		}
	})
	if wwErr != nil {
		t.Fatal(wwErr)
	}
	return wwPath
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return "go build ww: " + e.err.Error() + "\n" + string(e.out) }

func TestMain(m *testing.M) {
	code := m.Run()
	if wwDir != "" {
		os.RemoveAll(wwDir)
	}
	os.Exit(code)
}

// node is a folder standing in for a node's file system, as the
// installer's container sees it.
type node struct {
	root, binMount, policy, config string
	env                            []string
}

const nodeConfig = "# the node's containerd\nversion = 3\n"

func newNode(t *testing.T) *node {
	t.Helper()
	root := t.TempDir()
	n := &node{
		root:     root,
		binMount: filepath.Join(root, "host", "usr", "local", "bin"),
		policy:   filepath.Join(root, "etc", "ww-policy", "policy.yaml"),
		config:   filepath.Join(root, "etc", "containerd", "config.toml"),
	}
	// The policy as a ConfigMap's volume holds it: policy.yaml links to
	// ..data/policy.yaml, ..data to the folder of the current version.
	versioned := filepath.Join(filepath.Dir(n.policy), "..2026_12_01_00_00_00.1", "policy.yaml")
	for path, content := range map[string]string{
		versioned: "version: 1\nresources:\n  x: {source: \"file:/dev/null\", namespaces: [a]}\n",
		n.config:  nodeConfig,
	} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Base(filepath.Dir(versioned)), filepath.Join(filepath.Dir(n.policy), "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..data/policy.yaml", n.policy); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(n.binMount, 0o755); err != nil {
		t.Fatal(err)
	}
	n.env = append(os.Environ(), "WW_ROOT="+root, "WW_SOURCE="+buildWW(t), "WW_BIN_MOUNT="+n.binMount,
		"WW_POLICY_SOURCE="+n.policy, "WW_RESTART=none")
	return n
}

// shell is the image's shell where the machine has it (busybox), else sh.
func shell() string {
	if path, err := exec.LookPath("busybox"); err == nil {
		return path
	}
	return ""
}

func (n *node) command(env ...string) *exec.Cmd {
	var cmd *exec.Cmd
	if bb := shell(); bb != "" {
		cmd = exec.Command(bb, "sh", "ww-node-install")
	} else {
		cmd = exec.Command("sh", "ww-node-install")
	}
	cmd.Env = append(append([]string{}, n.env...), env...)
	return cmd
}

// start runs the installer until it waits for SIGTERM, and returns what
// it printed so far.
func (n *node) start(t *testing.T, env ...string) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	cmd := n.command(env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out lockedBuffer
	lines := bufio.NewScanner(stdout)
	ready := make(chan bool)
	go func() {
		defer close(ready)
		for lines.Scan() {
			out.WriteString(lines.Text() + "\n")
			if strings.HasSuffix(lines.Text(), "installed; waiting for SIGTERM") {
				ready <- true
				io.Copy(&out, stdout) //nolint:errcheck // the pipe closes as it exits
				return
			}
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			cmd.Wait()
			t.Fatalf("the installer stopped:\n%s%s", out.String(), stderr.String())
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the installer did not get ready:\n%s%s", out.String(), stderr.String())
	}
	return cmd, &out
}

// lockedBuffer is a buffer written by one goroutine, read by another.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) WriteString(s string) {
	b.Write([]byte(s)) //nolint:errcheck // a bytes.Buffer does not fail
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// stop sends SIGTERM and waits up to 20 s for the installer to exit.
func stop(t *testing.T, cmd *exec.Cmd) error {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the installer did not exit on SIGTERM")
		return nil
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestInstallerInstallsAndUninstallsOnSIGTERM(t *testing.T) {
	n := newNode(t)
	cmd, out := n.start(t, "WW_UNINSTALL_ON_EXIT=true")
	ww := readFile(t, buildWW(t))
	if got := readFile(t, filepath.Join(n.binMount, "ww")); got != ww {
		t.Errorf("ww was not copied whole")
	}
	if fi, err := os.Stat(filepath.Join(n.binMount, "ww")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("ww's mode: %v %v", fi, err)
	}
	if link, err := os.Readlink(filepath.Join(n.binMount, "ww-runtime")); err != nil || link != "ww" {
		t.Errorf("ww-runtime links to %q (%v), want ww", link, err)
	}
	if got := readFile(t, filepath.Join(n.root, "etc", "ww", "policy.yaml")); got != readFile(t, n.policy) {
		t.Errorf("the policy was not written")
	}
	dropIn := filepath.Join(n.root, "etc", "containerd", "conf.d", "ww.toml")
	if !strings.Contains(readFile(t, dropIn), "BinaryName = '/usr/local/bin/ww-runtime'") {
		t.Errorf("the drop-in does not run the node's ww-runtime:\n%s", readFile(t, dropIn))
	}
	if !strings.Contains(readFile(t, n.config), dropIn) {
		t.Errorf("the config does not import the drop-in")
	}
	if !strings.Contains(out.String(), "WW_RESTART is none: restart containerd on the node") {
		t.Errorf("the installer did not say how to restart:\n%s", out)
	}
	leftovers, _ := filepath.Glob(filepath.Join(n.binMount, ".*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}

	if err := stop(t, cmd); err != nil {
		t.Fatalf("the installer's exit on SIGTERM: %v\n%s", err, out)
	}
	if got := readFile(t, n.config); got != nodeConfig {
		t.Errorf("after SIGTERM the config is\n%s", got)
	}
	if _, err := os.Stat(dropIn); err == nil {
		t.Errorf("after SIGTERM the drop-in is still there")
	}
	if _, err := os.Stat(filepath.Join(n.binMount, "ww-runtime")); err != nil {
		t.Errorf("ww-runtime was removed, which running pods still call: %v", err)
	}
}

func TestInstallerSecondStartChangesNothing(t *testing.T) {
	n := newNode(t)
	for i := range 2 {
		cmd, out := n.start(t)
		if i == 1 {
			for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
				if line != "nothing to change: the configuration already is as asked" &&
					line != "ww-node-install: installed; waiting for SIGTERM" {
					t.Errorf("the second start did something: %s", line)
				}
			}
		}
		if err := stop(t, cmd); err != nil {
			t.Fatalf("the installer's exit on SIGTERM: %v", err)
		}
	}
	if !strings.Contains(readFile(t, n.config), "conf.d/ww.toml") {
		t.Errorf("without WW_UNINSTALL_ON_EXIT, SIGTERM took the handler out")
	}
}

func TestInstallerRefusesBadSettingsChangingNothing(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		bad  string // written as the policy, if set
		want string
	}{
		{"unknown restart mode, named", []string{"WW_RESTART=reboot"}, "", `ww-node-install: WW_RESTART "reboot": not none, systemd or signal`},
		{"unknown runtime, named", []string{"WW_RUNTIME=docker"}, "", `ww-node-install: WW_RUNTIME "docker": not containerd or crio`},
		{"bad uninstall switch, named", []string{"WW_UNINSTALL_ON_EXIT=yes"}, "", `ww-node-install: WW_UNINSTALL_ON_EXIT "yes": not true or false`},
		{"missing bin mount, named", []string{"WW_BIN_MOUNT=/nonexistent"}, "", `ww-node-install: WW_BIN_MOUNT "/nonexistent": not a folder (mount the node's /usr/local/bin there)`},
		{"a policy ww refuses, nothing installed", nil, "version: 2\n", `ww-node-install: WW_POLICY_SOURCE "@FILE": ww policy check refuses it`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNode(t)
			if tt.bad != "" {
				if err := os.WriteFile(n.policy, []byte(tt.bad), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out, err := n.command(tt.env...).CombinedOutput()
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			want := strings.ReplaceAll(tt.want, "@FILE", n.policy)
			if err == nil || lines[len(lines)-1] != want {
				t.Errorf("%v, said\n%s\nwant last line %s", err, out, want)
			}
			if entries, _ := os.ReadDir(n.binMount); len(entries) != 0 {
				t.Errorf("files made in the bin folder: %v", entries)
			}
			if readFile(t, n.config) != nodeConfig {
				t.Errorf("the config changed")
			}
		})
	}
}

// TestInstallerRestartsTheRuntime runs the installer's restart modes with
// nsenter and pidof replaced by scripts on PATH (under sh: busybox's
// shell would run its own applets): systemd restarts the runtime's unit
// in the node's namespaces, signal sends SIGHUP to the runtime's process;
// both on install and, asked to, on uninstall.
func TestInstallerRestartsTheRuntime(t *testing.T) {
	for _, mode := range []string{"systemd", "signal"} {
		t.Run(mode, func(t *testing.T) {
			n := newNode(t)
			stubs := t.TempDir()
			calls := filepath.Join(stubs, "calls")
			runtime := exec.Command("sleep", "60")
			if err := runtime.Start(); err != nil {
				t.Fatal(err)
			}
			defer runtime.Process.Kill() //nolint:errcheck // gone already when signal works
			for name, script := range map[string]string{
				"nsenter": "#!/bin/sh\necho \"nsenter $*\" >> " + calls + "\n",
				"pidof":   "#!/bin/sh\necho \"pidof $*\" >> " + calls + "\necho " + fmt.Sprint(runtime.Process.Pid) + "\n",
			} {
				if err := os.WriteFile(filepath.Join(stubs, name), []byte(script), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command("sh", "ww-node-install")
			cmd.Env = append(append([]string{}, n.env...), "WW_RESTART="+mode, "WW_UNINSTALL_ON_EXIT=true",
				"PATH="+stubs+":"+os.Getenv("PATH"))
			out, err := runUntilReady(t, cmd)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			switch mode {
			case "systemd":
				if err := stop(t, cmd); err != nil {
					t.Fatal(err)
				}
				want := strings.Repeat("nsenter -t 1 -m -u -i -n -p -- systemctl restart containerd\n", 2)
				if got := readFile(t, calls); got != want {
					t.Errorf("calls:\n%s\nwant, for install and uninstall:\n%s", got, want)
				}
			case "signal":
				err := runtime.Wait()
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGHUP {
					t.Errorf("the runtime's process ended with %v, not SIGHUP", err)
				}
				if got := readFile(t, calls); got != "pidof containerd\n" {
					t.Errorf("calls: %q", got)
				}
				if err := stop(t, cmd); err == nil {
					t.Errorf("signal with no runtime left to signal on uninstall: exit 0")
				}
			}
		})
	}
}

// runUntilReady starts cmd and waits until it says it is installed.
func runUntilReady(t *testing.T, cmd *exec.Cmd) (string, error) {
	t.Helper()
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "installed; waiting for SIGTERM") {
		if time.Now().After(deadline) {
			cmd.Process.Kill() //nolint:errcheck // a test's own child
			cmd.Wait()         //nolint:errcheck // killed
			return out.String(), errors.New("the installer did not get ready")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return out.String(), nil
}
