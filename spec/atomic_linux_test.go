package spec

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// fsImmutableFL is FS_IMMUTABLE_FL of linux/fs.h, which x/sys/unix lacks.
const fsImmutableFL = 0x10

// setImmutable sets or clears the immutable attribute of path (chattr +i),
// under which even root cannot rename over it.
func setImmutable(path string, on bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		return err
	}
	if on {
		flags |= fsImmutableFL
	} else {
		flags &^= fsImmutableFL
	}
	return unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags))
}

func TestSaveFailedRenameLeavesOldFile(t *testing.T) {
	dir, path := oldBundle(t, 0o644)
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	c.Spec.Hostname = "new"
	if err := setImmutable(path, true); err != nil {
		t.Skipf("cannot make %s immutable (needs CAP_LINUX_IMMUTABLE and a file system with attributes): %v", path, err)
	}
	t.Cleanup(func() {
		if err := setImmutable(path, false); err != nil {
			t.Errorf("clear immutable: %v", err)
		}
	})
	err = c.Save()
	want := `save config "` + path + `": rename ` + dir + "/.config.json.tmp-"
	if err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, fs.ErrPermission) {
		t.Errorf("error = %v, want prefix %q and operation not permitted", err, want)
	}
	assertUntouched(t, dir, path)
}

// TestSaveKeepsOwnerAndMode: a config.json that a user owns, readable by
// its group only, stays so after ww rewrites it as root.
func TestSaveKeepsOwnerAndMode(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("giving a file another owner needs root")
	}
	dir, path := oldBundle(t, 0o640)
	if err := os.Chown(path, 1000, 1001); err != nil {
		t.Fatal(err)
	}
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	c.Spec.Hostname = "new"
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	if st.Uid != 1000 || st.Gid != 1001 || st.Mode&0o7777 != 0o640 {
		t.Errorf("saved file: owner %d, group %d, mode %o; want 1000, 1001, 640", st.Uid, st.Gid, st.Mode&0o7777)
	}
	assertOnly(t, dir, ConfigName)
}

// TestSaveHardLinkKeepsOtherLink: the rename gives config.json a file of
// its own; a file linked to the old one (a template, say) is not edited.
func TestSaveHardLinkKeepsOtherLink(t *testing.T) {
	dir, path := oldBundle(t, 0o644)
	other := filepath.Join(t.TempDir(), "template.json")
	if err := os.Link(path, other); err != nil {
		t.Fatal(err)
	}
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	c.Spec.Hostname = "new"
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(other); err != nil || string(b) != oldConfig {
		t.Errorf("other link = %q, %v; want the old config", b, err)
	}
	if c2, err := Load(dir); err != nil || c2.Spec.Hostname != "new" {
		t.Errorf("saved config: %v, %v", c2, err)
	}
}

// TestSaveAtFDLimit: with every fd but two taken, a save works: it needs
// the folder and the new file, nothing more. (That it never starts the Go
// runtime's poller cannot be seen here, where the test's own files have
// started it; cmd/ww's TestRuntimeAtFDLimit checks that.)
func TestSaveAtFDLimit(t *testing.T) {
	dir, path := oldBundle(t, 0o644)
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	c.Spec.Hostname = "new"
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	// Fill the fd table, then free two: the folder and the new file.
	var held []int
	t.Cleanup(func() {
		for _, fd := range held {
			unix.Close(fd)
		}
	})
	for {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			break
		}
		held = append(held, fd)
		if len(held) > 1<<16 {
			t.Skip("fd limit too high to fill")
		}
	}
	unix.Close(held[len(held)-1])
	unix.Close(held[len(held)-2])
	held = held[:len(held)-2]
	err = c.Save()
	for _, fd := range held {
		unix.Close(fd)
	}
	held = nil
	if err != nil {
		t.Fatalf("save with two free fds: %v", err)
	}
	assertOnly(t, dir, ConfigName)
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), `"new"`) {
		t.Errorf("config = %s", b)
	}
}

func TestRemoveStaleTemps(t *testing.T) {
	dir, path := oldBundle(t, 0o644)
	for _, n := range []string{".config.json.tmp-0123456789abcdef", ".config.json.tmp-x", ".other.json.tmp-1"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := RemoveStaleTemps(path); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != ".other.json.tmp-1,config.json" {
		t.Errorf("left %q, want only another file's temporary and config.json", names)
	}
}
