package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestRuntimeSaveFails: when config.json cannot be written (a symbolic
// link, an immutable file, a read-only mount), the create fails with one
// JSON line in --log, the config is untouched, the lower runtime is not
// called, and the socket and file that opening made are gone.
func TestRuntimeSaveFails(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for chattr and mounts")
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, bundle string)
		want  string
	}{
		{"config a symlink: not a regular file", func(t *testing.T, bundle string) {
			real := filepath.Join(t.TempDir(), "real.json")
			path := filepath.Join(bundle, "config.json")
			if err := os.Rename(path, real); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(real, path); err != nil {
				t.Fatal(err)
			}
		}, "is not a regular file (a symbolic link?)"},
		{"config immutable: rename refused", func(t *testing.T, bundle string) {
			path := filepath.Join(bundle, "config.json")
			if out, err := exec.Command("chattr", "+i", path).CombinedOutput(); err != nil {
				t.Skipf("chattr +i: %v: %s", err, out)
			}
			t.Cleanup(func() { exec.Command("chattr", "-i", path).Run() })
		}, "operation not permitted"},
		{"bundle on a read-only mount: refused", func(t *testing.T, bundle string) {
			if err := unix.Mount(bundle, bundle, "", unix.MS_BIND, ""); err != nil {
				t.Skipf("bind mount: %v", err)
			}
			t.Cleanup(func() { unix.Unmount(bundle, unix.MNT_DETACH) })
			if err := unix.Mount("", bundle, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
				t.Fatalf("remount read-only: %v", err)
			}
		}, "read-only file system"},
		{"file system full: no space", func(t *testing.T, bundle string) {
			config, err := os.ReadFile(filepath.Join(bundle, "config.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := unix.Mount("tmpfs", bundle, "tmpfs", 0, "size=64k"); err != nil {
				t.Skipf("tmpfs: %v", err)
			}
			t.Cleanup(func() { unix.Unmount(bundle, unix.MNT_DETACH) })
			if err := os.WriteFile(filepath.Join(bundle, "config.json"), config, 0o644); err != nil {
				t.Fatal(err)
			}
			// Fill what is left; the write fails once it is full.
			os.WriteFile(filepath.Join(bundle, "fill"), make([]byte, 64<<10), 0o644)
		}, "no space left on device"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			sock, made := filepath.Join(dir, "s.sock"), filepath.Join(dir, "made.log")
			bundle := fakeBundle(t, map[string]string{
				"fd.ww.dev/s":   "listen:unix:" + sock,
				"fd.ww.dev/log": "file:" + made + "?mode=a&create=0600",
			}, []string{"PATH=/bin"})
			config, err := os.ReadFile(filepath.Join(bundle, "config.json"))
			if err != nil {
				t.Fatal(err)
			}
			tt.setup(t, bundle)
			lower := newFakeLower(t, 0)
			r := newRuntimeCall(t, lower)
			if _, code := r.run(t, "create", "--bundle", bundle, "save"); code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if msg := r.logLine(t); !strings.Contains(msg, "config") || !strings.Contains(msg, tt.want) {
				t.Errorf("log %q, want an error about the config saying %q", msg, tt.want)
			}
			if after, _ := os.ReadFile(filepath.Join(bundle, "config.json")); !bytes.Equal(after, config) {
				t.Errorf("config changed")
			}
			if n := len(lower.calls(t)); n != 0 {
				t.Errorf("lower runtime called %d times", n)
			}
			for _, p := range []string{sock, made} {
				if _, err := os.Lstat(p); err == nil {
					t.Errorf("%s left behind", p)
				}
			}
			entries, _ := os.ReadDir(bundle)
			for _, e := range entries {
				if e.Name() != "config.json" && e.Name() != "fill" {
					t.Errorf("left in the bundle: %s", e.Name())
				}
			}
		})
	}
}

// TestRuntimeKeepsConfigOwner: a config.json that a user owns, mode 0640,
// keeps its owner, group and mode through ww's edit.
func TestRuntimeKeepsConfigOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("giving a file another owner needs root")
	}
	bundle := fakeBundle(t, map[string]string{"fd.ww.dev/log": "file:/etc/hostname"}, nil)
	path := filepath.Join(bundle, "config.json")
	if err := os.Chown(path, 1000, 1000); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	r := newRuntimeCall(t, newFakeLower(t, 0))
	if _, code := r.run(t, "create", "--bundle", bundle, "owner"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	if st.Uid != 1000 || st.Gid != 1000 || st.Mode&0o7777 != 0o640 {
		t.Errorf("config: owner %d, group %d, mode %o; want 1000, 1000, 640", st.Uid, st.Gid, st.Mode&0o7777)
	}
	if b, _ := os.ReadFile(path); !bytes.Contains(b, []byte("WW_FD_LOG=3")) {
		t.Errorf("config not edited: %s", b)
	}
}
