package spec

import (
	"path/filepath"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestAbsBindSources(t *testing.T) {
	bundle := "/b/bundle"
	tests := []struct {
		name   string
		before []specs.Mount
		after  []specs.Mount
	}{
		{"relative bind type, made absolute",
			[]specs.Mount{{Destination: "/mnt", Type: "bind", Source: "data"}},
			[]specs.Mount{{Destination: "/mnt", Type: "bind", Source: "/b/bundle/data"}}},
		{"relative rbind option, made absolute",
			[]specs.Mount{{Destination: "/mnt", Source: "./sub/x", Options: []string{"rbind", "ro"}}},
			[]specs.Mount{{Destination: "/mnt", Source: "/b/bundle/sub/x", Options: []string{"rbind", "ro"}}}},
		{"absolute bind, unchanged",
			[]specs.Mount{{Destination: "/mnt", Type: "bind", Source: "/srv/data"}},
			[]specs.Mount{{Destination: "/mnt", Type: "bind", Source: "/srv/data"}}},
		{"proc and tmpfs, unchanged",
			[]specs.Mount{{Destination: "/proc", Type: "proc", Source: "proc"}, {Destination: "/tmp", Type: "tmpfs", Source: "tmpfs"}},
			[]specs.Mount{{Destination: "/proc", Type: "proc", Source: "proc"}, {Destination: "/tmp", Type: "tmpfs", Source: "tmpfs"}}},
		{"no mounts, nothing to do", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &specs.Spec{Mounts: tc.before}
			for round := 0; round < 2; round++ { // twice: idempotent
				if err := Apply(s, AbsBindSources(bundle)); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(s.Mounts, tc.after) {
					t.Fatalf("round %d: mounts %+v, want %+v", round, s.Mounts, tc.after)
				}
			}
		})
	}
}

func TestAbsBindSourcesRelativeBundle(t *testing.T) {
	s := &specs.Spec{Mounts: []specs.Mount{{Destination: "/mnt", Type: "bind", Source: "data"}}}
	if err := Apply(s, AbsBindSources("rel")); err != nil {
		t.Fatal(err)
	}
	want, err := filepath.Abs("rel/data")
	if err != nil {
		t.Fatal(err)
	}
	if s.Mounts[0].Source != want {
		t.Errorf("source %q, want %q", s.Mounts[0].Source, want)
	}
	if err := Apply(s, AbsBindSources("")); err == nil || err.Error() != "bundle folder is empty" {
		t.Errorf("empty bundle folder: %v, want an error", err)
	}
}
