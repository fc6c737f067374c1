package spec

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const oldConfig = `{"ociVersion":"1.0.0","hostname":"old"}`

// oldBundle makes a folder holding a config.json with oldConfig and mode.
func oldBundle(t *testing.T, mode fs.FileMode) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, ConfigName)
	if err := os.WriteFile(path, []byte(oldConfig), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

// assertUntouched checks that a failed save left path as oldConfig and dir
// with nothing else in it.
func assertUntouched(t *testing.T, dir, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != oldConfig {
		t.Errorf("config after failed save = %s, want %s", data, oldConfig)
	}
	assertOnly(t, dir, ConfigName)
}

// assertOnly checks that dir holds exactly the file name: no temporary
// file was left behind.
func assertOnly(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != name {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("folder holds %q, want only %q", names, name)
	}
}

func newConfig(t *testing.T) *Config {
	t.Helper()
	c, err := Parse([]byte(`{"ociVersion":"1.0.0","hostname":"new"}`))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSaveMode(t *testing.T) {
	tests := []struct {
		name string
		mode fs.FileMode // of the file replaced; 0 for none
		want fs.FileMode
	}{
		{name: "existing 0600 file: stays 0600", mode: 0o600, want: 0o600},
		{name: "existing 0664 file: stays 0664 whatever the umask", mode: 0o664, want: 0o664},
		{name: "no file yet: 0644", want: 0o644},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, ConfigName)
			if tt.mode != 0 {
				_, path = oldBundle(t, tt.mode)
				dir = filepath.Dir(path)
			}
			if err := newConfig(t).SaveFile(path); err != nil {
				t.Fatal(err)
			}
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := info.Mode().Perm(); got != tt.want {
				t.Errorf("mode = %v, want %v", got, tt.want)
			}
			assertOnly(t, dir, ConfigName)
			if got := readJSONFile(t, path)["hostname"]; got != "new" {
				t.Errorf("hostname = %v, want new", got)
			}
		})
	}
}

func TestSaveFileCopyKeepsLoadedMode(t *testing.T) {
	_, src := oldBundle(t, 0o640)
	c, err := LoadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "copy.json")
	if err := c.SaveFile(dst); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(dst)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o640 {
		t.Errorf("copy mode = %v, want 0640", got)
	}
	if c.Path() != src {
		t.Errorf("Path() = %q, want %q", c.Path(), src)
	}
}

func TestSaveErrors(t *testing.T) {
	dir, _ := oldBundle(t, 0o644)
	folder := filepath.Join(dir, "sub")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "gone", ConfigName)
	tests := []struct {
		name    string
		save    func(c *Config) error
		wantErr string
	}{
		{
			name:    "parsed config, Save: no file to write to",
			save:    (*Config).Save,
			wantErr: "save config: config was not loaded from a file; use SaveFile",
		},
		{
			name:    "path a folder: refused",
			save:    func(c *Config) error { return c.SaveFile(folder) },
			wantErr: `save config "` + folder + `": not a regular file`,
		},
		{
			name:    "folder missing: open error",
			save:    func(c *Config) error { return c.SaveFile(missing) },
			wantErr: `save config "` + missing + `": open ` + filepath.Dir(missing) + ": no such file or directory",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.save(newConfig(t))
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want prefix %q", err, tt.wantErr)
			}
		})
	}
	if _, err := os.Stat(filepath.Dir(missing)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing folder after failed save: %v", err)
	}
}

func TestWriteAtomicFailedWriteLeavesOldFile(t *testing.T) {
	dir, path := oldBundle(t, 0o644)
	errDiskFull := errors.New("disk full")
	err := writeAtomic(path, 0o644, nil, func(w io.Writer) error {
		if _, err := io.WriteString(w, `{"ociVers`); err != nil {
			return err
		}
		return errDiskFull
	})
	if !errors.Is(err, errDiskFull) {
		t.Fatalf("error = %v, want %v", err, errDiskFull)
	}
	assertUntouched(t, dir, path)
}

func TestSaveReadOnlyFolderLeavesOldFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into read-only folders")
	}
	dir, path := oldBundle(t, 0o644)
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	c.Spec.Hostname = "new"
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	err = c.Save()
	want := `save config "` + path + `": open ` + dir + "/.config.json.tmp-"
	if err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, fs.ErrPermission) {
		t.Errorf("error = %v, want prefix %q and permission denied", err, want)
	}
	assertUntouched(t, dir, path)
}

// TestSaveFileLater checks the save that leaves its sync for later: the
// new config is in place and whole before Finish, with the old file's
// mode; the old file is kept until Finish (exchanged to the temporary
// name, or held open where a rename replaced it: freeing it would cost
// the caller its wait); Finish leaves nothing else in the folder and may
// be called again.
func TestSaveFileLater(t *testing.T) {
	dir, path := oldBundle(t, 0o640)
	var old syscall.Stat_t
	if err := syscall.Stat(path, &old); err != nil {
		t.Fatal(err)
	}
	c, err := ParseRaw([]byte(`{"ociVersion":"1.0.0","process":{"env":[]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(FDEnv([]string{"WW_FD_A=3"})); err != nil {
		t.Fatal(err)
	}
	p, err := c.SaveFileLater(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"ociVersion":"1.0.0","process":{"env":["WW_FD_A=3"]}}`; string(got) != want {
		t.Errorf("before Finish, file = %s, want %s", got, want)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, %v; want the old file's 0640", st.Mode().Perm(), err)
	}
	var kept syscall.Stat_t
	switch {
	case p.oldName != "":
		if err := syscall.Stat(filepath.Join(dir, p.oldName), &kept); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(p.oldName, ".config.json.tmp-") {
			t.Errorf("old file at %q, want a temporary name RemoveStaleTemps removes", p.oldName)
		}
	case p.oldfd >= 0:
		if err := syscall.Fstat(p.oldfd, &kept); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatal("the old file is neither exchanged nor held until Finish")
	}
	if kept.Ino != old.Ino {
		t.Errorf("kept inode %d, want the old file's %d", kept.Ino, old.Ino)
	}
	if err := p.Finish(); err != nil {
		t.Fatal(err)
	}
	assertOnly(t, dir, ConfigName)
	if p.oldfd != -1 || p.t != nil {
		t.Error("Finish left fds open")
	}
	if err := p.Finish(); err != nil {
		t.Errorf("second Finish: %v", err)
	}
}

// TestSaveFileLaterNew checks the save of a file that is not there yet:
// nothing to exchange, a plain rename.
func TestSaveFileLaterNew(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ConfigName)
	c, err := ParseRaw([]byte(`{"process":{"env":[]}}`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.SaveFileLater(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.oldName != "" || p.oldfd >= 0 {
		t.Errorf("an old file kept (%q, fd %d) where there was none", p.oldName, p.oldfd)
	}
	if err := p.Finish(); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != `{"process":{"env":[]}}` {
		t.Errorf("file %q, %v", got, err)
	}
	assertOnly(t, dir, ConfigName)
}

// TestSaveFileLaterErrorLeavesOldFile checks that a save that fails
// (here, the folder cannot be written) leaves the old file and nothing
// else.
func TestSaveFileLaterErrorLeavesOldFile(t *testing.T) {
	dir, path := oldBundle(t, 0o644)
	errDiskFull := errors.New("disk full")
	p, err := writeAtomicLater(path, 0o644, nil, func(w io.Writer) error {
		if _, err := io.WriteString(w, `{"ociVers`); err != nil {
			return err
		}
		return errDiskFull
	})
	if !errors.Is(err, errDiskFull) || p != nil {
		t.Fatalf("error = %v (save %v), want %v", err, p, errDiskFull)
	}
	assertUntouched(t, dir, path)
}
