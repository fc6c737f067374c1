package install

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

// crioDocumentedHandler holds every key that CRI-O documents for a
// [crio.runtime.runtimes.NAME] table: crio.conf(5) and the comments of
// CRI-O's configuration template (pkg/config/template.go), as of CRI-O's
// main branch in August 2026. CRI-O cannot run here, so ww's drop-in is
// checked by decoding it strictly against this list.
type crioDocumentedHandler struct {
	RuntimePath                  *string           `toml:"runtime_path"`
	RuntimeType                  *string           `toml:"runtime_type"`
	RuntimeRoot                  *string           `toml:"runtime_root"`
	RuntimeConfigPath            *string           `toml:"runtime_config_path"`
	InheritDefaultRuntime        *bool             `toml:"inherit_default_runtime"`
	MonitorPath                  *string           `toml:"monitor_path"`
	MonitorCgroup                *string           `toml:"monitor_cgroup"`
	MonitorExecCgroup            *string           `toml:"monitor_exec_cgroup"`
	MonitorEnv                   []string          `toml:"monitor_env"`
	PrivilegedWithoutHostDevices *bool             `toml:"privileged_without_host_devices"`
	AllowedAnnotations           []string          `toml:"allowed_annotations"`
	PlatformRuntimePaths         map[string]string `toml:"platform_runtime_paths"`
	ContainerMinMemory           *string           `toml:"container_min_memory"`
	NoSyncLog                    *bool             `toml:"no_sync_log"`
	DefaultAnnotations           map[string]string `toml:"default_annotations"`
	StreamWebsockets             *bool             `toml:"stream_websockets"`
	SeccompProfile               *string           `toml:"seccomp_profile"`
	ContainerCreateTimeout       *int64            `toml:"container_create_timeout"`
}

type crioDocumentedFile struct {
	CRIO struct {
		Runtime struct {
			Runtimes map[string]crioDocumentedHandler `toml:"runtimes"`
		} `toml:"runtime"`
	} `toml:"crio"`
}

func decodeCRIODropIn(t *testing.T, path string) crioDocumentedHandler {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f crioDocumentedFile
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("the drop-in holds a key CRI-O does not document: %v\n%s", err, data)
	}
	if len(f.CRIO.Runtime.Runtimes) != 1 {
		t.Fatalf("the drop-in defines %d handlers, want 1", len(f.CRIO.Runtime.Runtimes))
	}
	h, ok := f.CRIO.Runtime.Runtimes["ww"]
	if !ok {
		t.Fatalf("no ww handler in\n%s", data)
	}
	return h
}

func TestCRIODropIn(t *testing.T) {
	tests := []struct {
		name                  string
		files                 map[string]string // under the temp folder
		root, monitor, cgroup string
		env                   []string
	}{{
		name: "no crio.conf, the packages' defaults",
		root: "/run/runc", monitor: "/usr/libexec/crio/conmon", env: []string{crioMonitorEnv},
	}, {
		name: "runc handler in crio.conf and a drop-in, the later file wins key by key",
		files: map[string]string{
			"crio.conf": "[crio.runtime]\ndefault_runtime = 'runc'\n[crio.runtime.runtimes.runc]\n" +
				"runtime_root = '/run/runc-node'\nmonitor_path = '/usr/bin/conmon'\n",
			"crio.conf.d/10-crio.conf": "[crio.runtime.runtimes.runc]\nmonitor_cgroup = 'pod'\nmonitor_env = ['PATH=/bin']\n",
		},
		root: "/run/runc-node", monitor: "/usr/bin/conmon", cgroup: "pod", env: []string{"PATH=/bin"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				path := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			before := snapshot(t, dir)
			o := Options{Config: filepath.Join(dir, "crio.conf"), DropIn: filepath.Join(dir, "crio.conf.d", "90-ww.conf"),
				Handler: "ww", RuntimePath: "/usr/local/bin/ww-runtime"}
			p, err := CRIO(o)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Apply(); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			p.Report(&out, false)
			if !strings.Contains(out.String(), "CRI-O passes every pod annotation to the runtime, so the node policy") ||
				!strings.Contains(out.String(), "systemctl restart crio") {
				t.Errorf("the output does not say that the policy is the only gate, or how to restart:\n%s", out.String())
			}
			h := decodeCRIODropIn(t, o.DropIn)
			got := []any{*h.RuntimePath, *h.RuntimeType, *h.RuntimeRoot, *h.MonitorPath, h.MonitorEnv}
			want := []any{o.RuntimePath, "oci", tt.root, tt.monitor, tt.env}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("handler %v, want %v", got, want)
			}
			if c := h.MonitorCgroup; (c == nil) != (tt.cgroup == "") || (c != nil && *c != tt.cgroup) {
				t.Errorf("monitor_cgroup %v, want %q", c, tt.cgroup)
			}
			if again, err := CRIO(o); err != nil || len(again.Changes) != 0 {
				t.Errorf("a second install: %v, %d changes", err, len(again.Changes))
			}
			o.Uninstall = true
			if p, err = CRIO(o); err != nil {
				t.Fatal(err)
			}
			if err := p.Apply(); err != nil {
				t.Fatal(err)
			}
			if after := snapshot(t, dir); !reflect.DeepEqual(after, before) {
				t.Errorf("after uninstall: %v, before: %v", keys(after), keys(before))
			}
		})
	}
}

func TestCRIORefusesAnotherFile(t *testing.T) {
	dir := t.TempDir()
	theirs := filepath.Join(dir, "90-ww.conf")
	if err := os.WriteFile(theirs, []byte("[crio.runtime]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, uninstall := range []bool{false, true} {
		_, err := CRIO(Options{Config: filepath.Join(dir, "crio.conf"), DropIn: theirs, Handler: "ww", RuntimePath: "/r", Uninstall: uninstall})
		want := `--drop-in "` + theirs + `": the file exists and was not written by ww install; name another file`
		if err == nil || err.Error() != want {
			t.Errorf("uninstall %v: %v, want %s", uninstall, err, want)
		}
	}
}
