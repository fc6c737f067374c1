package spec

import (
	"errors"
	"io/fs"
	"os"
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
