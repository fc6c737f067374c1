package deploy

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// podman is podman with the flags this kind of machine needs.
var podman = []string{"podman", "--cgroup-manager=cgroupfs", "--events-backend=file"}

var ulimits = []string{"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"}

func podmanRun(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(podman[0], append(podman[1:], args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// localImage builds an image from a Containerfile and the files beside
// it, and removes it when the test ends.
func localImage(t *testing.T, tag, containerfile string, files map[string]string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Containerfile"), []byte(containerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, from := range files {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { podmanRun(t, "rmi", "-f", tag) }) //nolint:errcheck // best effort
	if out, err := podmanRun(t, append(append([]string{"build"}, ulimits...), "-t", tag, dir)...); err != nil {
		t.Fatalf("build %s: %v\n%s", tag, err, out)
	}
}

// TestImageBuildsAndRunsWWVersion builds the Dockerfile with make image,
// offline: the base is the machine's static busybox, and the builder the
// same image with this machine's Go, module cache and build cache
// mounted, where a registry would give golang and busybox images.
func TestImageBuildsAndRunsWWVersion(t *testing.T) {
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("podman is not installed (.ci/deps installs it)")
	}
	if os.Getuid() != 0 {
		t.Skip("builds images with root's podman: run as root")
	}
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("no busybox for the image's base (.ci/deps installs busybox-static)")
	}
	if static, err := isStatic(busybox); err != nil || !static {
		t.Skipf("%s is not a static program (%v), which an image of its own needs: install busybox-static", busybox, err)
	}
	goEnv := func(name string) string {
		out, err := exec.Command("go", "env", name).Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	id := fmt.Sprint(os.Getpid())
	base, builder, image := "localhost/ww-test-base:"+id, "localhost/ww-test-builder:"+id, "localhost/ww-test-image:"+id
	localImage(t, base, "FROM scratch\nCOPY busybox /bin/busybox\n"+
		`RUN ["/bin/busybox", "--install", "-s", "/bin"]`+"\n"+
		`RUN ["/bin/mkdir", "-m", "1777", "/tmp"]`+"\n", map[string]string{"busybox": busybox})
	localImage(t, builder, "FROM "+base+"\nENV HOME=/root GOPATH=/root/go GOCACHE=/root/.cache/go-build "+
		"GOPROXY=off GOFLAGS=-mod=mod GOTOOLCHAIN=local PATH=/usr/local/go/bin:/bin\n", nil)

	t.Cleanup(func() { podmanRun(t, "rmi", "-f", image) }) //nolint:errcheck // best effort
	flags := append(append([]string{"--layers=false"}, ulimits...),
		"-v", goEnv("GOROOT")+":/usr/local/go:ro",
		"-v", goEnv("GOMODCACHE")+":/root/go/pkg/mod:ro",
		"-v", goEnv("GOCACHE")+":/root/.cache/go-build")
	make := exec.Command("make", "-C", "..", "image", "PODMAN="+strings.Join(podman, " "), "IMAGE="+image,
		"BUILDER="+builder, "BASE="+base, "VERSION=v0.0.0-test", "COMMIT=0123abc", "IMAGEFLAGS="+strings.Join(flags, " "))
	if out, err := make.CombinedOutput(); err != nil {
		t.Fatalf("make image: %v\n%s", err, out)
	}

	out, err := podmanRun(t, append(append([]string{"run", "--rm", "--pull=never"}, ulimits...),
		"--entrypoint", "/usr/local/bin/ww", image, "version")...)
	if err != nil || !strings.HasPrefix(out, "ww v0.0.0-test commit 0123abc go1.") {
		t.Errorf("ww version in the image: %v\n%s", err, out)
	}
	out, err = podmanRun(t, "image", "inspect", "--format", "{{json .Config.Entrypoint}}", image)
	if err != nil || strings.TrimSpace(out) != `["/usr/local/bin/ww-node-install"]` {
		t.Errorf("the entrypoint is %s (%v), not the installer", out, err)
	}
	runInstallerImage(t, image)

	// The installer runs under the image's shell, and stops at once on a
	// container that mounts no runtime's configuration.
	out, err = podmanRun(t, append(append([]string{"run", "--rm", "--pull=never"}, ulimits...), image)...)
	if want := "ww-node-install: WW_RUNTIME is not set and neither /etc/containerd nor /etc/crio exists"; err == nil ||
		!strings.Contains(out, want) {
		t.Errorf("the installer without mounts: %v\n%s\nwant %s", err, out, want)
	}
}

// runInstallerImage runs the image as the DaemonSet does, on a folder
// standing in for the node: it installs, and on podman stop (SIGTERM)
// takes the handler out again.
func runInstallerImage(t *testing.T, image string) {
	t.Helper()
	n := newNode(t)
	name := "ww-test-installer-" + fmt.Sprint(os.Getpid())
	args := append([]string{"run", "-d", "--name", name, "--pull=never"}, ulimits...)
	args = append(args,
		"-v", n.binMount+":/host/usr/local/bin",
		"-v", filepath.Join(n.root, "etc", "containerd")+":/etc/containerd",
		"-v", filepath.Join(n.root, "etc", "ww")+":/etc/ww",
		"-v", filepath.Dir(n.policy)+":/etc/ww-policy:ro",
		"-e", "WW_RUNTIME=containerd", "-e", "WW_UNINSTALL_ON_EXIT=true", image)
	if err := os.MkdirAll(filepath.Join(n.root, "etc", "ww"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := podmanRun(t, args...); err != nil {
		t.Fatalf("podman run: %v\n%s", err, out)
	}
	t.Cleanup(func() { podmanRun(t, "rm", "-f", name) }) //nolint:errcheck // best effort
	dropIn := filepath.Join(n.root, "etc", "containerd", "conf.d", "ww.toml")
	deadline := time.Now().Add(20 * time.Second)
	for {
		logs, _ := podmanRun(t, "logs", name)
		if strings.Contains(logs, "installed; waiting for SIGTERM") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the installer in the image did not get ready:\n%s", logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(readFile(t, dropIn), "BinaryName = '/usr/local/bin/ww-runtime'") ||
		!strings.Contains(readFile(t, n.config), "/etc/containerd/conf.d/ww.toml") {
		t.Errorf("the image's installer did not add the handler:\n%s", readFile(t, n.config))
	}
	if link, err := os.Readlink(filepath.Join(n.binMount, "ww-runtime")); err != nil || link != "ww" {
		t.Errorf("ww-runtime links to %q (%v)", link, err)
	}
	if out, err := podmanRun(t, "stop", "-t", "20", name); err != nil {
		t.Fatalf("podman stop: %v\n%s", err, out)
	}
	if out, _ := podmanRun(t, "inspect", "--format", "{{.State.ExitCode}}", name); strings.TrimSpace(out) != "0" {
		logs, _ := podmanRun(t, "logs", name)
		t.Errorf("the installer exited with %s on SIGTERM:\n%s", out, logs)
	}
	if got := readFile(t, n.config); got != nodeConfig {
		t.Errorf("after podman stop the config is\n%s", got)
	}
	if _, err := os.Stat(dropIn); err == nil {
		t.Errorf("after podman stop the drop-in is still there")
	}
}

// isStatic says whether the ELF program at path asks for no interpreter.
func isStatic(path string) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false, nil
		}
	}
	return true, nil
}
