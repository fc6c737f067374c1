package install

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

// containerdCase is a node's containerd configuration before ww install.
type containerdCase struct {
	name   string
	daemon string            // the containerd that must load the result
	files  map[string]string // relative path: content (IMPORTDIR is the folder)
	dropIn string            // relative; ww's drop-in
	base   map[string]any    // the handler options ww's must repeat
	keep   []string          // paths (dotted, in the dump) that must survive
}

func containerd16(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("containerd")
	if err != nil {
		t.Skip("containerd 1.6 is not installed (.ci/deps installs it)")
	}
	return path
}

func containerd2(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("WW_CONTAINERD2_DIR")
	if dir == "" {
		dir = "/opt/ww-ci/containerd-v2.4.2"
	}
	path := filepath.Join(dir, "containerd")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("containerd 2.x is not at %s (.ci/deps builds it; or set WW_CONTAINERD2_DIR)", path)
	}
	return path
}

func defaultConfig(t *testing.T, daemon string) string {
	t.Helper()
	out, err := exec.Command(daemon, "config", "default").Output()
	if err != nil {
		t.Fatalf("%s config default: %v", daemon, err)
	}
	return string(out)
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func containerdCases(t *testing.T) []containerdCase {
	t.Helper()
	c16, c2 := containerd16(t), containerd2(t)
	stockOptions16 := map[string]any{"SystemdCgroup": false, "NoPivotRoot": false, "CriuPath": ""}
	return []containerdCase{{
		name: "stock 1.6, imports added", daemon: c16,
		files:  map[string]string{"config.toml": defaultConfig(t, c16)},
		dropIn: "conf.d/ww.toml", base: stockOptions16,
		keep: []string{"plugins.io.containerd.grpc.v1.cri.sandbox_image", "plugins.io.containerd.grpc.v1.cri.containerd.runtimes.runc"},
	}, {
		name: "commented 1.6 with other handlers, imports key made", daemon: c16,
		files:  map[string]string{"config.toml": readTestdata(t, "commented-v2.toml")},
		dropIn: "conf.d/ww.toml", base: map[string]any{"SystemdCgroup": true, "NoNewKeyring": true},
		keep: []string{"plugins.io.containerd.grpc.v1.cri.containerd.runtimes.gvisor", "plugins.io.containerd.grpc.v1.cri.restrict_oom_score_adj"},
	}, {
		name: "a 1.6 config of one line, the built-in runc handler kept", daemon: c16,
		files:  map[string]string{"config.toml": "version = 2\n"},
		dropIn: "conf.d/ww.toml", base: map[string]any{},
		keep: []string{"plugins.io.containerd.grpc.v1.cri.containerd.runtimes.runc", "plugins.io.containerd.grpc.v1.cri.sandbox_image"},
	}, {
		name: "a 2.4 config of one line, the built-in runc handler kept", daemon: c2,
		files:  map[string]string{"config.toml": "version = 3\n"},
		dropIn: "conf.d/ww.toml", base: map[string]any{},
		keep: []string{"plugins.io.containerd.cri.v1.runtime.containerd.runtimes.runc"},
	}, {
		name: "stock 2.4 (version 4), imports extended", daemon: c2,
		files:  map[string]string{"config.toml": defaultConfig(t, c2)},
		dropIn: "conf.d/ww.toml", base: map[string]any{"SystemdCgroup": false, "ShimCgroup": ""},
		keep: []string{"plugins.io.containerd.cri.v1.runtime.containerd.runtimes.runc"},
	}, {
		name: "commented 2.0 (version 3) with a vendor drop-in and other handlers", daemon: c2,
		files: map[string]string{
			"config.toml": readTestdata(t, "commented-v3.toml"),
			"vendor.toml": readTestdata(t, "vendor-v3.toml"),
		},
		dropIn: "ww.toml", base: map[string]any{"SystemdCgroup": true, "Root": "/run/containerd/runc"},
		keep: []string{"plugins.io.containerd.cri.v1.runtime.containerd.runtimes.kata"},
	}, {
		name: "2.2 style, conf.d already imported, main file untouched", daemon: c2,
		files:  map[string]string{"config.toml": readTestdata(t, "v3-conf-d.toml")},
		dropIn: "conf.d/ww.toml", base: map[string]any{"SystemdCgroup": true},
	}, {
		name: "stock 1.6 loaded by containerd 2.x, which migrates version 2", daemon: c2,
		files:  map[string]string{"config.toml": defaultConfig(t, c16)},
		dropIn: "conf.d/ww.toml", base: map[string]any{"SystemdCgroup": false},
	}}
}

// writeCase lays the case's files out in a new folder.
func writeCase(t *testing.T, c containerdCase) (dir string, o Options) {
	t.Helper()
	dir = t.TempDir()
	for name, content := range c.files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		content = strings.ReplaceAll(content, "IMPORTDIR", dir)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir, Options{
		Config: filepath.Join(dir, "config.toml"), DropIn: filepath.Join(dir, c.dropIn),
		Handler: "ww", RuntimePath: "/opt/ww/bin/ww-runtime",
	}
}

// snapshot is every regular file under dir with its content and mode.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		info, _ := d.Info()
		files[path] = info.Mode().String() + "\n" + string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func plan(t *testing.T, o Options) *Plan {
	t.Helper()
	p, err := Containerd(o)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return p
}

// dumpHandler loads the configuration in the real daemon and returns
// the handler as it sees it, and the whole dump.
func dumpHandler(t *testing.T, daemon, config, handler string) (map[string]any, map[string]any) {
	t.Helper()
	cmd := exec.Command(daemon, "--config", config, "config", "dump")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s config dump: %v\n%s", daemon, err, stderr.Bytes())
	}
	var dump map[string]any
	if err := toml.Unmarshal(out, &dump); err != nil {
		t.Fatalf("decode the dump: %v", err)
	}
	plugins, _ := dump["plugins"].(map[string]any)
	version := int64(3)
	if _, ok := plugins[criPluginV2].(map[string]any)["containerd"]; ok {
		version = 2
	}
	return handlerIn(plugins, version, handler), dump
}

func lookup(m map[string]any, dotted string) any {
	// Plugin names hold dots: take the longest key that fits first.
	var v any = m
	for rest := dotted; rest != ""; {
		t, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		found := false
		for i := len(rest); i > 0; i-- {
			if i < len(rest) && rest[i] != '.' {
				continue
			}
			if next, ok := t[rest[:i]]; ok {
				v, rest, found = next, strings.TrimPrefix(rest[i:], "."), true
				break
			}
		}
		if !found {
			return nil
		}
	}
	return v
}

func TestContainerdInstallLoadsInRealDaemon(t *testing.T) {
	for _, c := range containerdCases(t) {
		t.Run(c.name, func(t *testing.T) {
			dir, o := writeCase(t, c)
			before := snapshot(t, dir)
			_, dumpBefore := dumpHandler(t, c.daemon, o.Config, "ww")
			p := plan(t, o)
			if err := p.Apply(); err != nil {
				t.Fatalf("apply: %v", err)
			}
			h, dump := dumpHandler(t, c.daemon, o.Config, "ww")
			if h == nil {
				t.Fatalf("the daemon's dump has no ww handler")
			}
			if h["runtime_type"] != runcShim {
				t.Errorf("runtime_type = %v", h["runtime_type"])
			}
			for _, key := range []string{"pod_annotations", "container_annotations"} {
				if !reflect.DeepEqual(h[key], AnnotationPatterns()) {
					t.Errorf("%s = %v, want %v", key, h[key], AnnotationPatterns())
				}
			}
			opts, _ := h["options"].(map[string]any)
			if opts["BinaryName"] != o.RuntimePath {
				t.Errorf("options.BinaryName = %v, want %s", opts["BinaryName"], o.RuntimePath)
			}
			for k, v := range c.base {
				if opts[k] != v {
					t.Errorf("options.%s = %v, want the runc handler's %v", k, opts[k], v)
				}
			}
			for _, path := range c.keep {
				if want, got := lookup(dumpBefore, path), lookup(dump, path); want == nil || !reflect.DeepEqual(got, want) {
					t.Errorf("%s: %v after install, %v before", path, got, want)
				}
			}
			main := []byte(before[o.Config][strings.IndexByte(before[o.Config], '\n')+1:])
			after, _ := os.ReadFile(o.Config)
			if inserted := insertion(main, after); inserted == nil || (len(inserted) > 0 && !bytes.Contains(inserted, []byte(o.DropIn))) {
				t.Errorf("the main file changed beyond one insertion into its imports:\n%s", after)
			}

			if again := plan(t, o); len(again.Changes) != 0 {
				t.Errorf("a second install plans %d changes, the first: %+v", len(again.Changes), again.Changes[0].Path)
			}
			o.Uninstall = true
			if err := plan(t, o).Apply(); err != nil {
				t.Fatalf("uninstall: %v", err)
			}
			if got := snapshot(t, dir); !reflect.DeepEqual(got, before) {
				t.Errorf("after uninstall the files differ from before:\nbefore %v\nafter  %v", keys(before), keys(got))
				for k := range before {
					if got[k] != before[k] {
						t.Errorf("%s:\n%s\nwas\n%s", k, got[k], before[k])
					}
				}
			}
			if again := plan(t, o); len(again.Changes) != 0 {
				t.Errorf("a second uninstall plans %d changes", len(again.Changes))
			}
		})
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// insertion is what after adds to before in one place, or nil if after
// is not before with one piece of text inserted.
func insertion(before, after []byte) []byte {
	i := 0
	for i < len(before) && i < len(after) && before[i] == after[i] {
		i++
	}
	j := 0
	for j < len(before)-i && j < len(after)-i && before[len(before)-1-j] == after[len(after)-1-j] {
		j++
	}
	if i+j != len(before) {
		return nil
	}
	return append([]byte{}, after[i:len(after)-j]...)
}
