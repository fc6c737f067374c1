package hook

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := OpenStore(filepath.Join(t.TempDir(), "run", "containers"), true)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestWriteRead: a record written is read back whole, by ID and root,
// and found by ID and bundle; another root is another record.
func TestWriteRead(t *testing.T) {
	s := newStore(t)
	bundle := t.TempDir()
	r, err := Begin("c1", "/run/r", bundle, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.FDs = []FD{{Name: "log", Target: 3, Dev: 1, Ino: 2}}
	if err := s.Write(r); err != nil {
		t.Fatal(err)
	}
	r.Created = true
	if err := s.Write(r); err != nil { // a second version replaces the first
		t.Fatal(err)
	}
	got, err := s.Read("c1", "/run/r")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Created || len(got.FDs) != 1 || got.FDs[0] != r.FDs[0] || got.Bundle != bundle {
		t.Errorf("read %+v, wrote %+v", got, r)
	}
	if !s.Has("c1", "/run/r") || s.Has("c1", "/run/other") || s.Has("c2", "/run/r") {
		t.Error("Has does not tell records apart by ID and root")
	}
	if _, err := s.Read("c1", "/run/other"); !errors.Is(err, ErrNoRecord) {
		t.Errorf("record under another root: %v, want ErrNoRecord", err)
	}
	found, err := s.Find("c1", r.BundleDev, r.BundleIno)
	if err != nil || len(found) != 1 {
		t.Errorf("Find: %d records, %v", len(found), err)
	}
	if found, _ := s.Find("c1", r.BundleDev, r.BundleIno+1); len(found) != 0 {
		t.Error("Find matched another bundle")
	}
	entries, _ := os.ReadDir(s.Dir())
	if len(entries) != 1 {
		t.Errorf("folder holds %d files, want the record alone", len(entries))
	}
}

// TestReadRefuses: a record that is not root's 0600 regular file, or is
// too big or not a record, is refused with its path.
func TestReadRefuses(t *testing.T) {
	s := newStore(t)
	name, err := Name("c", "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.Dir(), name)
	for _, tc := range []struct {
		name string
		make func() error
		want string
	}{
		{"mode 0644", func() error { return os.WriteFile(path, []byte(`{}`), 0o644) }, "want uid"},
		{"other owner", func() error {
			if err := os.WriteFile(path, []byte(`{}`), 0o600); err != nil {
				return err
			}
			return os.Chown(path, 1000, 1000)
		}, "owned by uid 1000"},
		{"symbolic link", func() error { return os.Symlink("/etc/hostname", path) }, "too many levels of symbolic links"},
		{"garbage", func() error { return os.WriteFile(path, []byte("garbage"), 0o600) }, "invalid character"},
		{"relative bundle", func() error { return os.WriteFile(path, []byte(`{"id":"c","bundle":"b"}`), 0o600) }, "no absolute bundle path"},
		{"too big", func() error { return os.WriteFile(path, make([]byte, maxRecord+1), 0o600) }, "more than"},
		{"another container's ID", func() error { return os.WriteFile(path, []byte(`{"id":"d","bundle":"/b"}`), 0o600) },
			`holds container "d" under root "", not the one its name is for`},
		{"another root", func() error { return os.WriteFile(path, []byte(`{"id":"c","root":"/run/other","bundle":"/b"}`), 0o600) },
			`holds container "c" under root "/run/other", not the one its name is for`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if os.Geteuid() != 0 && tc.name == "other owner" {
				t.Skip("needs root to give a file away")
			}
			os.Remove(path)
			if err := tc.make(); err != nil {
				t.Fatal(err)
			}
			_, err := s.Read("c", "")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("Read: %v, want an error naming %s with %q", err, path, tc.want)
			}
		})
	}
}

// TestOpenStoreRefuses: a records folder others can enter is refused.
func TestOpenStoreRefuses(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStore(dir, false); err == nil || !strings.Contains(err.Error(), "no access for others") {
		t.Errorf("OpenStore of a 0755 folder: %v", err)
	}
	if _, err := OpenStore(filepath.Join(dir, "none"), false); !errors.Is(err, unix.ENOENT) {
		t.Errorf("OpenStore of a missing folder without create: %v, want ENOENT", err)
	}
}

// TestName: IDs that a runtime takes name records; others, which could
// name a path, are refused.
func TestName(t *testing.T) {
	for _, tc := range []struct{ id, want string }{
		{"abc_+-.1", ""},
		{"", "not a valid ID"},
		{"..", "not a valid ID"},
		{"a/b", `'/' is not a letter`},
		{"a@b", `'@' is not a letter`},
	} {
		_, err := Name(tc.id, "/r")
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("Name(%q): %v, want %q", tc.id, err, tc.want)
		}
	}
	a, _ := Name("c", "/run/a")
	b, _ := Name("c", "/run/b")
	if a == b || !isRecordName(a, "c") || isRecordName(a, "c@") || isRecordName("."+a+".tmp", "c") {
		t.Errorf("names %q, %q", a, b)
	}
}

// TestDirFromEnv: WW_STATE_DIR wins; otherwise root's folder is
// DefaultDir and another user's is under XDG_RUNTIME_DIR or /tmp.
func TestDirFromEnv(t *testing.T) {
	if got := DirFromEnv([]string{"WW_STATE_DIR=/a", "WW_STATE_DIR=/b"}); got != "/b" {
		t.Errorf("WW_STATE_DIR twice: %q, want the last", got)
	}
	want, wantXDG := DefaultDir, DefaultDir
	if uid := os.Geteuid(); uid != 0 {
		want, wantXDG = filepath.Join(os.TempDir(), "ww-"+strconv.Itoa(uid), "containers"), "/run/user/x/ww/containers"
	}
	if got := DirFromEnv(nil); got != want {
		t.Errorf("no variable: %q, want %q", got, want)
	}
	if got := DirFromEnv([]string{"XDG_RUNTIME_DIR=/run/user/x"}); got != wantXDG {
		t.Errorf("XDG_RUNTIME_DIR: %q, want %q", got, wantXDG)
	}
}

// TestIsNamed: a record fits the name of its ID and root; one with a
// relative root, which only its writer's folder makes absolute, by its ID.
func TestIsNamed(t *testing.T) {
	abs, err := Name("c", "/run/r")
	if err != nil {
		t.Fatal(err)
	}
	other, err := Name("c", "/elsewhere/r")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		r    Record
		file string
		want bool
	}{
		{"its ID and root, named", Record{ID: "c", Root: "/run/r"}, abs, true},
		{"another root, refused", Record{ID: "c", Root: "/run/x"}, abs, false},
		{"another ID, refused", Record{ID: "d", Root: "/run/r"}, abs, false},
		{"relative root written elsewhere, its ID named", Record{ID: "c", Root: "r"}, other, true},
		{"relative root, another ID, refused", Record{ID: "d", Root: "r"}, other, false},
		{"a name without @, refused", Record{ID: "c"}, "c", false},
	} {
		if got := tc.r.isNamed(tc.file); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
