package spec

import (
	"reflect"
	"testing"
)

func TestParseAnnotations(t *testing.T) {
	const web = CRIContainerNameAnnotation
	tests := []struct {
		name        string
		annotations map[string]string
		want        Requests
		wantErr     string
	}{
		{
			name:        "no annotations: nothing asked",
			annotations: nil,
			want:        Requests{},
		},
		{
			name: "general fds: sorted by name",
			annotations: map[string]string{
				"fd.ww.dev/log": "/var/log/app.log",
				"fd.ww.dev/db":  "unix:/run/db.sock",
			},
			want: Requests{FDs: []FDRequest{
				{Name: "db", Source: "unix:/run/db.sock", Key: "fd.ww.dev/db"},
				{Name: "log", Source: "/var/log/app.log", Key: "fd.ww.dev/log"},
			}},
		},
		{
			name: "scoped fd for this container: added",
			annotations: map[string]string{
				web:                  "web",
				"web.fd.ww.dev/http": "tcp::8080",
			},
			want: Requests{FDs: []FDRequest{{Name: "http", Source: "tcp::8080", Key: "web.fd.ww.dev/http"}}},
		},
		{
			name: "scoped fd, name from CRI-O's key: added",
			annotations: map[string]string{
				KubeContainerNameAnnotation: "web",
				"web.fd.ww.dev/http":        "tcp::8080",
			},
			want: Requests{FDs: []FDRequest{{Name: "http", Source: "tcp::8080", Key: "web.fd.ww.dev/http"}}},
		},
		{
			name: "scoped fd and general fd of the same env name: scoped wins",
			annotations: map[string]string{
				web:                  "web",
				"fd.ww.dev/db":       "unix:/run/a.sock",
				"web.fd.ww.dev/DB":   "unix:/run/b.sock",
				"fd.ww.dev/metrics":  "tcp::9090",
				"a.fd.ww.dev/unused": "x",
			},
			want: Requests{FDs: []FDRequest{
				{Name: "DB", Source: "unix:/run/b.sock", Key: "web.fd.ww.dev/DB"},
				{Name: "metrics", Source: "tcp::9090", Key: "fd.ww.dev/metrics"},
			}},
		},
		{
			name: "scoped fd of another container: ignored, even if invalid",
			annotations: map[string]string{
				web:                  "web",
				"db.fd.ww.dev/9":     "3",
				"db.options.ww.dev/": "maybe",
			},
			want: Requests{},
		},
		{
			name: "scoped fd without a container name: ignored",
			annotations: map[string]string{
				"web.fd.ww.dev/http": "tcp::8080",
			},
			want: Requests{},
		},
		{
			name: "keys of other domains: ignored",
			annotations: map[string]string{
				web:                     "web",
				"fd.ww.dev.example/x":   "3",
				"xfd.ww.dev/x":          "3",
				"webfd.ww.dev/x":        "3",
				"fd.ww.devx/x":          "3",
				"options.ww.dev.io/x":   "3",
				"example.com/fd.ww.dev": "3",
			},
			want: Requests{},
		},
		{
			name: "sandbox container under containerd: nothing asked, even if invalid",
			annotations: map[string]string{
				CRIContainerTypeAnnotation: SandboxContainerType,
				"fd.ww.dev/9x":             "3",
			},
			want: Requests{},
		},
		{
			name: "sandbox container under CRI-O: nothing asked",
			annotations: map[string]string{
				CRIOContainerTypeAnnotation: SandboxContainerType,
				"fd.ww.dev/db":              "unix:/run/db.sock",
			},
			want: Requests{},
		},
		{
			name: "app container whose author set the other runtime's type key to sandbox: read as a container",
			annotations: map[string]string{
				CRIOContainerTypeAnnotation: "container",
				CRIContainerTypeAnnotation:  SandboxContainerType,
				"fd.ww.dev/db":              "file:/etc/hostname",
			},
			want: Requests{FDs: []FDRequest{{Name: "db", Source: "file:/etc/hostname", Key: "fd.ww.dev/db"}}},
		},
		{
			name: "systemd true: set",
			annotations: map[string]string{
				"options.ww.dev/systemd": "true",
			},
			want: Requests{Options: Options{Systemd: true}},
		},
		{
			name: "systemd true, scoped false: scoped wins",
			annotations: map[string]string{
				web:                          "web",
				"options.ww.dev/systemd":     "true",
				"web.options.ww.dev/systemd": "false",
			},
			want: Requests{},
		},
		{
			name: "systemd false, scoped true: scoped wins",
			annotations: map[string]string{
				web:                          "web",
				"options.ww.dev/systemd":     "false",
				"web.options.ww.dev/systemd": "true",
			},
			want: Requests{Options: Options{Systemd: true}},
		},
		{
			name:        "name starting with a digit: error",
			annotations: map[string]string{"fd.ww.dev/9x": "/tmp/x"},
			wantErr:     `annotation "fd.ww.dev/9x": name "9x" must start with an ASCII letter`,
		},
		{
			name:        "empty name: error",
			annotations: map[string]string{"fd.ww.dev/": "/tmp/x"},
			wantErr:     `annotation "fd.ww.dev/": name is empty`,
		},
		{
			name:        "name with a slash: error",
			annotations: map[string]string{"fd.ww.dev/a/b": "/tmp/x"},
			wantErr:     `annotation "fd.ww.dev/a/b": name "a/b" has character '/': only letters, digits, '_' and '-' are allowed`,
		},
		{
			name:        "bare fd number: error",
			annotations: map[string]string{"fd.ww.dev/db": "3"},
			wantErr:     `annotation "fd.ww.dev/db": "3": an fd number means nothing in an annotation; name a file or socket`,
		},
		{
			name:        "fd: source: error",
			annotations: map[string]string{"fd.ww.dev/db": "fd:3"},
			wantErr:     `annotation "fd.ww.dev/db": "fd:3": an fd number means nothing in an annotation; name a file or socket`,
		},
		{
			name:        "signed fd number: error",
			annotations: map[string]string{"fd.ww.dev/db": "+3"},
			wantErr:     `annotation "fd.ww.dev/db": "+3": an fd number means nothing in an annotation; name a file or socket`,
		},
		{
			name:        "empty source: error",
			annotations: map[string]string{"fd.ww.dev/db": ""},
			wantErr:     `annotation "fd.ww.dev/db": source is empty`,
		},
		{
			name: "two general names, same env name: error naming both",
			annotations: map[string]string{
				"fd.ww.dev/db-x": "/a",
				"fd.ww.dev/db_x": "/b",
			},
			wantErr: `annotations "fd.ww.dev/db-x" and "fd.ww.dev/db_x": names "db-x" and "db_x" are the same fd, WW_FD_DB_X`,
		},
		{
			name: "two scoped names, same env name: error naming both",
			annotations: map[string]string{
				web:                "web",
				"web.fd.ww.dev/DB": "/a",
				"web.fd.ww.dev/db": "/b",
				"fd.ww.dev/db":     "/c",
			},
			wantErr: `annotations "web.fd.ww.dev/DB" and "web.fd.ww.dev/db": names "DB" and "db" are the same fd, WW_FD_DB`,
		},
		{
			name:        "systemd yes: error",
			annotations: map[string]string{"options.ww.dev/systemd": "yes"},
			wantErr:     `annotation "options.ww.dev/systemd": value "yes" must be "true" or "false"`,
		},
		{
			name:        "scoped systemd TRUE: error",
			annotations: map[string]string{web: "web", "web.options.ww.dev/systemd": "TRUE"},
			wantErr:     `annotation "web.options.ww.dev/systemd": value "TRUE" must be "true" or "false"`,
		},
		{
			name:        "unknown option: error",
			annotations: map[string]string{"options.ww.dev/sytemd": "true"},
			wantErr:     `annotation "options.ww.dev/sytemd": unknown option "sytemd"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAnnotations(tt.annotations)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("requests = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestContainerName(t *testing.T) {
	tests := []struct {
		name        string
		annotations map[string]string
		want        string
	}{
		{"containerd's key: its value", map[string]string{CRIContainerNameAnnotation: "web"}, "web"},
		{"CRI-O's key: its value", map[string]string{KubeContainerNameAnnotation: "web"}, "web"},
		{"both keys: containerd's", map[string]string{CRIContainerNameAnnotation: "a", KubeContainerNameAnnotation: "b"}, "a"},
		{"neither: empty", map[string]string{"x": "y"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ContainerName(tt.annotations); got != tt.want {
				t.Errorf("ContainerName = %q, want %q", got, tt.want)
			}
		})
	}
}
