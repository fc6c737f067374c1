package cribed

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
)

// Image is the name of the image made from the probe: the containers'
// image and the sandbox (pause) image alike. Its entrypoint is
// `/probe pause`; a container runs `/probe MODE` by its command.
const Image = "ww.test/probe:1"

// ProbePath is where the probe is in the image.
const ProbePath = "/probe"

// WriteImage writes an OCI archive (an image layout in a tar) of an image
// named Image that holds the static program probe at ProbePath.
func WriteImage(archive, probe string) error {
	bin, err := os.ReadFile(probe)
	if err != nil {
		return err
	}
	layer, err := tarFiles([]tarEntry{
		{name: "probe", mode: 0o755, data: bin},
		{name: "etc/", mode: 0o755}, {name: "tmp/", mode: 0o1777},
	})
	if err != nil {
		return err
	}
	config, _ := json.Marshal(map[string]any{
		"architecture": runtime.GOARCH, "os": "linux",
		"config": map[string]any{
			"Entrypoint": []string{ProbePath, "pause"},
			"Env":        []string{"PATH=/"},
		},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{digest(layer)}},
	})
	manifest, _ := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        descriptor("application/vnd.oci.image.config.v1+json", config, nil),
		"layers":        []any{descriptor("application/vnd.oci.image.layer.v1.tar", layer, nil)},
	})
	index, _ := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.index.v1+json",
		"manifests": []any{descriptor("application/vnd.oci.image.manifest.v1+json", manifest, map[string]string{
			"io.containerd.image.name":          Image,
			"org.opencontainers.image.ref.name": "1",
		})},
	})
	entries := []tarEntry{
		{name: "oci-layout", mode: 0o644, data: []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{name: "index.json", mode: 0o644, data: index},
		{name: "blobs/", mode: 0o755}, {name: "blobs/sha256/", mode: 0o755},
	}
	for _, blob := range [][]byte{layer, config, manifest} {
		entries = append(entries, tarEntry{name: "blobs/sha256/" + digest(blob)[len("sha256:"):], mode: 0o644, data: blob})
	}
	out, err := tarFiles(entries)
	if err != nil {
		return err
	}
	return os.WriteFile(archive, out, 0o644)
}

type tarEntry struct {
	name string
	mode int64
	data []byte
}

func tarFiles(entries []tarEntry) ([]byte, error) {
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Size: int64(len(e.data)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if e.name[len(e.name)-1] == '/' {
			h.Typeflag, h.Size = tar.TypeDir, 0
		}
		if err := w.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := w.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func descriptor(mediaType string, blob []byte, annotations map[string]string) map[string]any {
	d := map[string]any{"mediaType": mediaType, "digest": digest(blob), "size": len(blob)}
	if annotations != nil {
		d["annotations"] = annotations
	}
	return d
}

// importImage loads the OCI archive into the daemon's k8s.io namespace,
// where the CRI plugin finds it.
func (d *Daemon) importImage(archive string) error {
	out, err := d.ctr("images", "import", "--platform", "linux/"+runtime.GOARCH, archive)
	if err != nil {
		return fmt.Errorf("ctr images import %s: %w: %s", archive, err, out)
	}
	return nil
}
