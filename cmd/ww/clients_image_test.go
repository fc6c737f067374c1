package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
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
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	hdr := &tar.Header{Name: "probe", Mode: 0o755, Size: int64(len(probe)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(probe); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	diffID := sha256.Sum256(layer.Bytes())
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(layer.Bytes()); err != nil {
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

// paths lists the layout's files, in a fixed order.
func (img ociImage) paths() []string {
	var paths []string
	for p := range img {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths
}

// writeDir writes the layout into dir.
func (img ociImage) writeDir(t *testing.T, dir string) {
	t.Helper()
	for _, p := range img.paths() {
		path := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, img[p], 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// writeTar writes the layout as one tar, as ctr images import reads it.
func (img ociImage) writeTar(t *testing.T, path string) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range img.paths() {
		hdr := &tar.Header{Name: p, Mode: 0o644, Size: int64(len(img[p])), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(img[p]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
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
