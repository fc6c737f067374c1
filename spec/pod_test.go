package spec

import (
	"reflect"
	"testing"
)

func TestPodListeners(t *testing.T) {
	sandbox := map[string]string{CRIContainerTypeAnnotation: SandboxContainerType}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name        string
		annotations map[string]string
		want        []FDRequest
	}{
		{"not a sandbox: none", with(nil, "fd.ww.dev/http", "listen:tcp::8080"), nil},
		{"app container: none", with(nil, CRIContainerTypeAnnotation, "container", "fd.ww.dev/http", "listen:tcp::8080"), nil},
		{"general key: held", with(sandbox, "fd.ww.dev/http", "listen:tcp::8080"),
			[]FDRequest{{Name: "http", Source: "listen:tcp::8080", Key: "fd.ww.dev/http"}}},
		{"CRI-O sandbox: held", with(map[string]string{CRIOContainerTypeAnnotation: SandboxContainerType}, "fd.ww.dev/http", "listen:tcp::8080"),
			[]FDRequest{{Name: "http", Source: "listen:tcp::8080", Key: "fd.ww.dev/http"}}},
		{"keys of two containers and the pod: all, sorted by key", with(sandbox,
			"web.fd.ww.dev/http", "listen:tcp::8081", "fd.ww.dev/http", "listen:tcp::8080", "admin.fd.ww.dev/http", "listen:udp::53"),
			[]FDRequest{
				{Name: "http", Source: "listen:udp::53", Key: "admin.fd.ww.dev/http"},
				{Name: "http", Source: "listen:tcp::8080", Key: "fd.ww.dev/http"},
				{Name: "http", Source: "listen:tcp::8081", Key: "web.fd.ww.dev/http"},
			}},
		{"other sources and keys: left out", with(sandbox,
			"fd.ww.dev/db", "node:pg", "fd.ww.dev/log", "file:/tmp/x", "options.ww.dev/systemd", "true",
			"example.com/listen", "listen:tcp::1", ".fd.ww.dev/x", "listen:tcp::2"), nil},
		{"bad name or empty name: left out", with(sandbox, "fd.ww.dev/a=b", "listen:tcp::8080", "fd.ww.dev/", "listen:tcp::8080"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PodListeners(tt.annotations); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("PodListeners = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSandboxID(t *testing.T) {
	tests := []struct {
		name        string
		annotations map[string]string
		want        string
	}{
		{"containerd", map[string]string{CRISandboxIDAnnotation: "abc"}, "abc"},
		{"CRI-O", map[string]string{CRIOSandboxIDAnnotation: "def"}, "def"},
		{"both, the same: that one", map[string]string{CRISandboxIDAnnotation: "abc", CRIOSandboxIDAnnotation: "abc"}, "abc"},
		{"both, differing: none", map[string]string{CRISandboxIDAnnotation: "abc", CRIOSandboxIDAnnotation: "def"}, ""},
		{"outside a pod: none", map[string]string{"fd.ww.dev/x": "listen:tcp::1"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SandboxID(tt.annotations); got != tt.want {
				t.Errorf("SandboxID = %q, want %q", got, tt.want)
			}
		})
	}
}
