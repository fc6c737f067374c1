package spec

import (
	"path/filepath"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestArgs(t *testing.T) {
	tests := []struct {
		name    string
		before  *specs.Spec
		argv    []string
		want    []string
		wantErr string
	}{
		{
			name:   "args over sh: replaced",
			before: &specs.Spec{Process: &specs.Process{Args: []string{"sh"}}},
			argv:   []string{"/app", "--port", "80"},
			want:   []string{"/app", "--port", "80"},
		},
		{
			name:    "empty args: error",
			before:  &specs.Spec{Process: &specs.Process{Args: []string{"sh"}}},
			argv:    nil,
			wantErr: "args are empty: the process needs a program to run",
		},
		{
			name:    "no process: error",
			before:  &specs.Spec{},
			argv:    []string{"/app"},
			wantErr: "set args: spec has no process",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Args(tt.argv).Modify(tt.before)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.before.Process.Args; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("args = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAbsRoot(t *testing.T) {
	cwd, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		root    *specs.Root
		bundle  string
		want    *specs.Root
		wantErr string
	}{
		{
			name:   "relative root: joined to the bundle",
			root:   &specs.Root{Path: "rootfs", Readonly: true},
			bundle: "/run/bundles/web",
			want:   &specs.Root{Path: "/run/bundles/web/rootfs", Readonly: true},
		},
		{
			name:   "relative root going up: cleaned",
			root:   &specs.Root{Path: "../shared/rootfs"},
			bundle: "/run/bundles/web",
			want:   &specs.Root{Path: "/run/bundles/shared/rootfs"},
		},
		{
			name:   "relative bundle: made absolute against the current directory",
			root:   &specs.Root{Path: "rootfs"},
			bundle: "bundle",
			want:   &specs.Root{Path: filepath.Join(cwd, "bundle", "rootfs")},
		},
		{
			name:   "absolute root: unchanged",
			root:   &specs.Root{Path: "/var/lib/rootfs"},
			bundle: "/run/bundles/web",
			want:   &specs.Root{Path: "/var/lib/rootfs"},
		},
		{
			name:   "no root: unchanged",
			bundle: "/run/bundles/web",
		},
		{
			name:    "empty root path: error",
			root:    &specs.Root{},
			bundle:  "/run/bundles/web",
			wantErr: "root path is empty",
		},
		{
			name:    "empty bundle: error",
			root:    &specs.Root{Path: "rootfs"},
			wantErr: "bundle folder is empty",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &specs.Spec{Root: tt.root}
			m := AbsRoot(tt.bundle)
			err := m.Modify(s)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s.Root, tt.want) {
				t.Errorf("root = %+v, want %+v", s.Root, tt.want)
			}
			if err := m.Modify(s); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s.Root, tt.want) {
				t.Errorf("root after a second run = %+v, want %+v", s.Root, tt.want)
			}
		})
	}
}

func TestApply(t *testing.T) {
	before := func() *specs.Spec {
		return &specs.Spec{Process: &specs.Process{Args: []string{"sh"}, Env: []string{"PATH=/bin"}}}
	}
	tests := []struct {
		name    string
		spec    *specs.Spec
		mods    []Modifier
		want    *specs.Spec
		wantErr string
	}{
		{
			name: "env and args: both applied",
			spec: before(),
			mods: []Modifier{FDEnv([]string{"WW_FD_DB=3"}), Args([]string{"/app"})},
			want: &specs.Spec{Process: &specs.Process{Args: []string{"/app"}, Env: []string{"PATH=/bin", "WW_FD_DB=3"}}},
		},
		{
			name:    "valid env then empty args: error, env not applied",
			spec:    before(),
			mods:    []Modifier{FDEnv([]string{"WW_FD_DB=3"}), Args(nil)},
			want:    before(),
			wantErr: "args are empty: the process needs a program to run",
		},
		{
			name:    "nil spec: error",
			mods:    []Modifier{Args([]string{"/app"})},
			wantErr: "spec is nil",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Apply(tt.spec, tt.mods...)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(tt.spec, tt.want) {
				t.Errorf("spec = %+v, want %+v", tt.spec, tt.want)
			}
		})
	}
}
