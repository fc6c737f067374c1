package main

// Helpers for clients_test.go: the probe's image as an OCI layout, and
// running a client isolated from the machine's own state.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// OCI image-spec media types and the annotation that names a manifest in
// an index; ww does not depend on the image spec, so they are spelled out.
const (
	ociIndexType    = "application/vnd.oci.image.index.v1+json"
	ociManifestType = "application/vnd.oci.image.manifest.v1+json"
	ociConfigType   = "application/vnd.oci.image.config.v1+json"
	ociLayerType    = "application/vnd.oci.image.layer.v1.tar+gzip"
	ociRefName      = "org.opencontainers.image.ref.name"
)

type ociDescriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int               `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// ociImage is an OCI image layout held in memory, path by path, so that
// podman can pull it from a directory and ctr import it as a tar.
type ociImage map[string][]byte

// probeImage is a one-layer image whose only file is the static probe, at
// /probe, run as "/probe fds" by default; ref names it in index.json.
func probeImage(t *testing.T, ref string) ociImage {
	t.Helper()
	probe, err := os.ReadFile(probeBin)
	if err != nil {
		t.Fatal(err)
	}
	layer := tarBytes(t, map[string][]byte{"probe": probe}, 0o755)
	diffID := sha256.Sum256(layer)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(layer); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}

	img := ociImage{"oci-layout": []byte(`{"imageLayoutVersion":"1.0.0"}`)}
	config := img.addJSON(t, ociConfigType, map[string]any{
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"config":       map[string]any{"Cmd": []string{"/probe", "fds"}, "Env": []string{"PATH=/"}},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + hex.EncodeToString(diffID[:])}},
	})
	manifest := img.addJSON(t, ociManifestType, map[string]any{
		"schemaVersion": 2,
		"mediaType":     ociManifestType,
		"config":        config,
		"layers":        []ociDescriptor{img.add(ociLayerType, gz.Bytes())},
	})
	manifest.Annotations = map[string]string{ociRefName: ref}
	index, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     ociIndexType,
		"manifests":     []ociDescriptor{manifest},
	})
	if err != nil {
		t.Fatal(err)
	}
	img["index.json"] = index
	return img
}

// tarBytes is a tar of regular files with the given mode, in path order.
func tarBytes(t *testing.T, files map[string][]byte, mode int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range slices.Sorted(maps.Keys(files)) {
		hdr := &tar.Header{Name: p, Mode: mode, Size: int64(len(files[p])), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(files[p]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// add stores a blob under its digest.
func (img ociImage) add(mediaType string, data []byte) ociDescriptor {
	sum := sha256.Sum256(data)
	hexSum := hex.EncodeToString(sum[:])
	img["blobs/sha256/"+hexSum] = data
	return ociDescriptor{MediaType: mediaType, Digest: "sha256:" + hexSum, Size: len(data)}
}

func (img ociImage) addJSON(t *testing.T, mediaType string, v any) ociDescriptor {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return img.add(mediaType, data)
}

// writeDir writes the layout into dir.
func (img ociImage) writeDir(t *testing.T, dir string) {
	t.Helper()
	for p, data := range img {
		path := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// writeTar writes the layout as one tar, as ctr images import reads it.
func (img ociImage) writeTar(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, tarBytes(t, img, 0o644), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runtimeLink is a ww-runtime link to ww, the name a client is given.
func runtimeLink(t *testing.T) string {
	t.Helper()
	link := filepath.Join(t.TempDir(), runtimeName)
	if err := os.Symlink(wwBin, link); err != nil {
		t.Fatal(err)
	}
	return link
}

// runtimeWrapper is a ww-runtime script that runs ww runtime under the
// tests' node policy, for a client that starts its runtime with an
// environment of its own (Podman's conmon).
func runtimeWrapper(t *testing.T) string {
	t.Helper()
	return runtimeWrapperWith(t, runtimePolicy)
}

// runtimeWrapperWith is runtimeWrapper with the node policy at policy.
func runtimeWrapperWith(t *testing.T, policy string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), runtimeName)
	script := "#!/bin/sh\nWW_POLICY=" + policy + " WW_STATE_DIR=" + stateDir + " exec " + wwBin + " runtime \"$@\"\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// shortTempDir is a temp dir with a short path, for roots that hold unix
// sockets (108 bytes at most), removed at the end of the test after
// unmounting whatever a client left mounted under it.
func shortTempDir(t *testing.T, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		unmountUnder(t, dir)
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("remove %s: %v", dir, err)
		}
	})
	return dir
}

// unmountUnder detaches every mount at or below dir, deepest first.
func unmountUnder(t *testing.T, dir string) {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Error(err)
		return
	}
	var points []string
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 5 {
			continue
		}
		// Octal escapes (\040) do not occur in the paths the tests make.
		if p := fields[4]; p == dir || strings.HasPrefix(p, dir+"/") {
			points = append(points, p)
		}
	}
	slices.SortFunc(points, func(a, b string) int { return len(b) - len(a) })
	for _, p := range points {
		if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", p, err)
		}
	}
}

// isolatedScript binds a dir under $1 over each of the machine's dirs in
// which podman and containerd keep something whatever their flags say
// (lock and cache files, network configs, shim sockets, runc's state),
// then runs the rest of its arguments. mount -n leaves the machine's
// /run/mount alone.
const isolatedScript = `set -e
d=$1; shift
for m in /run /var/lib /var/cache /var/tmp /dev/shm /etc/cni /etc/containers; do
	[ -d "$m" ] || continue
	mkdir -p "$d$m"
	mount -n --bind "$d$m" "$m"
done
exec "$@"`

// isolated is a command run in a mount namespace of its own in which the
// machine's state dirs are dirs under dir: whatever a client leaves, and
// whatever it mounts, stays in the test's dir and namespace.
func isolated(dir, name string, args ...string) *exec.Cmd {
	cmd := exec.Command("/bin/sh", append([]string{"-c", isolatedScript, "sh", dir, name}, args...)...)
	// Go makes the new namespace's mounts private before the script runs.
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	cmd.Env = cleanEnv()
	return cmd
}

// runClient runs cmd with extra at fds 3, 4, … and returns its output
// and exit status.
func runClient(t *testing.T, cmd *exec.Cmd, extra []*os.File) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.ExtraFiles = &out, &errb, extra
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", cmd.Args, err)
	}
	return out.String(), errb.String(), code
}

// requireClients skips a test that cannot run the named programs as root
// with runc, ww's lower runtime, and returns their paths.
func requireClients(t *testing.T, names ...string) []string {
	t.Helper()
	requireRunc(t)
	if _, err := exec.LookPath("mount"); err != nil {
		t.Skip("mount is not installed")
	}
	paths := make([]string, len(names))
	for i, name := range names {
		path, err := exec.LookPath(name)
		if err != nil {
			t.Skipf("%s is not installed", name)
		}
		paths[i] = path
	}
	return paths
}

// removeCgroupAfter removes, at the end of the test, the cgroup a client
// makes as the parent of its containers' and leaves behind; only where it
// did not exist before the test.
func removeCgroupAfter(t *testing.T, name string) {
	t.Helper()
	glob := func() []string {
		paths, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup/*", name))
		if st, err := os.Stat(filepath.Join("/sys/fs/cgroup", name)); err == nil && st.IsDir() {
			paths = append(paths, filepath.Join("/sys/fs/cgroup", name))
		}
		return paths
	}
	before := glob()
	t.Cleanup(func() {
		for _, root := range glob() {
			if slices.Contains(before, root) {
				continue
			}
			var dirs []string
			filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
				if err == nil && d.IsDir() {
					dirs = append(dirs, path)
				}
				return nil
			})
			for _, dir := range slices.Backward(dirs) {
				// A cgroup stays busy until its last process (a shim, a
				// conmon) has exited: retry for a while.
				var err error
				for i := 0; i < 100; i++ {
					if err = syscall.Rmdir(dir); err == nil || errors.Is(err, syscall.ENOENT) || !errors.Is(err, syscall.EBUSY) {
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
				if err != nil && !errors.Is(err, syscall.ENOENT) {
					t.Logf("cgroup %s left behind: %v", dir, err)
				}
			}
		}
	})
}
