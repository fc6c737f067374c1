package policy

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestLoadDefault(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		path     func(t *testing.T) string
		explicit bool   // the example policy, decoded
		wantErr  string // after "policy PATH: "
		rootOnly bool
	}{
		{"missing file, the default", func(t *testing.T) string { return filepath.Join(dir, "none.yaml") }, false, "", false},
		{"missing folder, the default", func(t *testing.T) string { return filepath.Join(dir, "none", "p.yaml") }, false, "", false},
		{"0644 file, decoded", func(t *testing.T) string { return writeIn(t, t.TempDir(), examplePolicy, 0o644) }, true, "", false},
		{"0600 file, decoded", func(t *testing.T) string { return writeIn(t, t.TempDir(), examplePolicy, 0o600) }, true, "", false},
		{"0400 file, decoded", func(t *testing.T) string { return writeIn(t, t.TempDir(), examplePolicy, 0o400) }, true, "", false},
		{"malformed file, error", func(t *testing.T) string { return writeIn(t, t.TempDir(), "version: 1\nx: 1\n", 0o644) },
			false, "x: unknown key", false},
		{"group-writable file, error", func(t *testing.T) string { return writeIn(t, t.TempDir(), examplePolicy, 0o664) },
			false, "writable by its group or by others (mode 0664): refused; chmod go-w it", false},
		{"world-writable file, error", func(t *testing.T) string { return writeIn(t, t.TempDir(), examplePolicy, 0o646) },
			false, "writable by its group or by others (mode 0646): refused; chmod go-w it", false},
		{"file of another user, error", func(t *testing.T) string {
			path := writeIn(t, t.TempDir(), examplePolicy, 0o644)
			if err := os.Chown(path, 4242, 0); err != nil {
				t.Fatal(err)
			}
			return path
		}, false, "owned by uid 4242, not by root or by uid 0 that ww runs as: refused", true},
		{"file of root with root's group, decoded", func(t *testing.T) string {
			path := writeIn(t, t.TempDir(), examplePolicy, 0o644)
			if err := os.Chown(path, 0, 4242); err != nil {
				t.Fatal(err)
			}
			return path
		}, true, "", true},
		{"symbolic link, error", func(t *testing.T) string {
			target := writeIn(t, t.TempDir(), examplePolicy, 0o644)
			link := filepath.Join(t.TempDir(), "policy.yaml")
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			return link
		}, false, "is a symbolic link; name the file itself", false},
		{"dangling symbolic link, error", func(t *testing.T) string {
			link := filepath.Join(t.TempDir(), "policy.yaml")
			if err := os.Symlink("/nonexistent", link); err != nil {
				t.Fatal(err)
			}
			return link
		}, false, "is a symbolic link", false},
		{"folder, error", func(t *testing.T) string { return t.TempDir() }, false, "not a regular file (mode 040000)", false},
		{"FIFO without a writer, error at once", func(t *testing.T) string {
			path := filepath.Join(t.TempDir(), "policy.yaml")
			if err := syscall.Mkfifo(path, 0o644); err != nil {
				t.Fatal(err)
			}
			return path
		}, false, "not a regular file (mode 010000)", false},
		{"device node, error", func(t *testing.T) string { return "/dev/null" }, false, "not a regular file (mode 020000)", false},
		{"over 1 MiB, error", func(t *testing.T) string {
			return writeIn(t, t.TempDir(), "version: 1\n#"+strings.Repeat("x", 1<<20), 0o644)
		}, false, "1048588 bytes, more than the 1048576 a policy may have", false},
		{"path through a file, error", func(t *testing.T) string {
			return filepath.Join(writeIn(t, t.TempDir(), examplePolicy, 0o644), "x")
		}, false, "not a directory", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.rootOnly && os.Geteuid() != 0 {
				t.Skip("needs root to give the file another owner")
			}
			path := tt.path(t)
			p, err := LoadDefault(path)
			if tt.wantErr != "" {
				want := "policy " + path + ": "
				if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want %s…%s", err, want, tt.wantErr)
				}
				if p != nil {
					t.Errorf("error with a policy %+v", p)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.IsDefault() == tt.explicit || p.Path() != path || (len(p.Resources()) == 3) != tt.explicit {
				t.Errorf("got %s with %d resources, want explicit %v", p, len(p.Resources()), tt.explicit)
			}
		})
	}
}

func TestLoadMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none.yaml")
	_, err := Load(path)
	if !errors.Is(err, fs.ErrNotExist) || err.Error() != "policy "+path+": no such file or directory" {
		t.Errorf("Load of a missing file: %v", err)
	}
}

func TestPathFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		want    string
		wantErr string
	}{
		{"no variable, default", []string{"PATH=/bin"}, DefaultPath, ""},
		{"nil env, default", nil, DefaultPath, ""},
		{"absolute path, it", []string{"WW_POLICY=/tmp/p.yaml"}, "/tmp/p.yaml", ""},
		{"empty value, default", []string{"WW_POLICY="}, DefaultPath, ""},
		{"twice, the first as getenv", []string{"WW_POLICY=/a", "WW_POLICY=/b"}, "/a", ""},
		{"similar name, default", []string{"WW_POLICYX=/a", "XWW_POLICY=/b"}, DefaultPath, ""},
		{"relative path, error", []string{"WW_POLICY=policy.yaml"}, "", `WW_POLICY="policy.yaml": not an absolute path`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PathFromEnv(tt.env)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("got %q, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
