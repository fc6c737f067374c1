package fastpath

import (
	"os"
	"path"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/hook/recname"
)

// FuzzCleanJoin checks cleanJoin against path.Join, for the folders of a
// PATH (not empty, not ".") and names without a slash.
func FuzzCleanJoin(f *testing.F) {
	for _, seed := range [][2]string{
		{"/usr/bin", "runc"}, {"/usr//bin/", "runc"}, {"/a/./b/../c", "rt"}, {"a/../../b", "rt"},
		{"..", "x"}, {"../..", ".."}, {"/..", "x"}, {"./", "x"}, {"a/b/../..", ".."}, {"//", "."},
		{"/usr/bin" + strings.Repeat("/", 4100), "runc"}, {"/a" + strings.Repeat("/.", 2100), "runc"},
		{strings.Repeat("x/../", 900) + "bin", "runc"}, {"/" + strings.Repeat("d", 4090) + "/", "runc"},
		{"/" + strings.Repeat("d", 4089), "rt"}, {"/" + strings.Repeat("d", 4088), "rt"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, dir, name string) {
		if dir == "" || dir == "." || strings.Contains(name, "/") {
			return
		}
		s := new(scratch)
		n, ok := s.cleanJoin(dir, name)
		want := path.Join(dir, name)
		if len(want) >= pathMax || strings.ContainsRune(want, 0) {
			if ok {
				t.Fatalf("cleanJoin(%q, %q) = %q, want refused", dir, name, s.path[:n])
			}
			return
		}
		if !ok || string(s.path[:n]) != want || s.path[n] != 0 {
			t.Fatalf("cleanJoin(%q, %q) = %q, %v; path.Join gives %q", dir, name, s.path[:n], ok, want)
		}
	})
}

// TestGetenv checks getenv against syscall.Getenv's reading of the
// environment: a key's first entry, the value after the first "=".
func TestGetenv(t *testing.T) {
	env := []string{"A=1", "NOVALUE", "B==2", "A=3", "=empty", "C=", "AB=4"}
	for _, tc := range []struct {
		key, want string
		found     bool
	}{
		{"A", "1", true},
		{"B", "=2", true},
		{"C", "", true},
		{"AB", "4", true},
		{"NOVALUE", "", false},
		{"", "", false},
		{"D", "", false},
	} {
		got, found := getenv(env, tc.key)
		if got != tc.want || found != tc.found {
			t.Errorf("getenv(%q) = %q, %v; want %q, %v", tc.key, got, found, tc.want, tc.found)
		}
	}
}

// TestFirstLine checks firstLine against strings.TrimSpace of the first
// line, and that it gives up on a line that a byte past ASCII ends.
func TestFirstLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"runc\n", "runc"},
		{"  /usr/bin/crun \t\r\nignored\n", "/usr/bin/crun"},
		{"", ""},
		{"\n\nrunc", ""},
		{"runc\u00a0", ""},
		{"\u00a0runc", ""},
		{"ru\u00e9nc", "ru\u00e9nc"},
	} {
		if got := firstLine([]byte(tc.in)); got != tc.want {
			t.Errorf("firstLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestExecutable checks executable on a file that is, with its stat(2),
// and that setPath refuses a path with a NUL.
func TestExecutable(t *testing.T) {
	s := new(scratch)
	n, ok := s.setPath("/proc/self/exe", "")
	if !ok || !s.executable() || s.unsure || s.pathString(n) != "/proc/self/exe" {
		t.Fatalf("/proc/self/exe: not executable, or unsure (%v)", s.unsure)
	}
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/self/exe", &st); err != nil || st.Ino != s.st.Ino {
		t.Fatalf("stat: %v, inode %d, executable's %d", err, st.Ino, s.st.Ino)
	}
	if _, ok := s.setPath("/a\x00b", ""); ok {
		t.Errorf("setPath took a path with a NUL")
	}
}

// TestNumbers checks the constants the search passes to the kernel
// against x/sys/unix.
func TestNumbers(t *testing.T) {
	fdcwd := unix.AT_FDCWD
	for _, tc := range []struct {
		name      string
		got, want uintptr
	}{
		{"AT_FDCWD", atFdcwd, uintptr(fdcwd)},
		{"AT_EACCESS", atEaccess, unix.AT_EACCESS},
		{"X_OK", xOK, unix.X_OK},
		{"SYS_FACCESSAT2", sysFaccessat2, unix.SYS_FACCESSAT2},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %#x, x/sys/unix says %#x", tc.name, tc.got, tc.want)
		}
	}
}

// TestSurelyNoRecord checks surelyNoRecord against noRecord, which Try
// asks: wherever surelyNoRecord says no record, noRecord says so too; it
// finds a record that is there; and it gives up only where it says it
// does (help flags, a relative root, no WW_STATE_DIR for a user not 0).
func TestSurelyNoRecord(t *testing.T) {
	dir := t.TempDir()
	long := "/" + strings.Repeat("r", 4000)
	for _, rec := range [][2]string{{"c1", "/run/runc"}, {"c2", ""}, {"c3", long}} {
		if err := os.WriteFile(path.Join(dir, recname.Name(rec[0], rec[1])), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"A=1", recname.DirEnv + "=" + dir + "/./", recname.DirEnv + "=/elsewhere"}
	for _, tc := range []struct {
		name string
		g    Global
		env  []string
		want bool // surelyNoRecord's answer
	}{
		{"record", Global{Command: "delete", Rest: []string{"c1"}, Root: "/run/runc"}, env, false},
		{"record, --force", Global{Command: "delete", Rest: []string{"--force", "c1"}, Root: "/run/runc"}, env, false},
		{"record, no root", Global{Command: "delete", Rest: []string{"c2"}}, env, false},
		{"record, long root", Global{Command: "delete", Rest: []string{"c3"}, Root: long}, env, false},
		{"other root", Global{Command: "delete", Rest: []string{"c1"}, Root: "/run/other"}, env, true},
		{"other ID", Global{Command: "delete", Rest: []string{"c9"}, Root: "/run/runc"}, env, true},
		{"no ID", Global{Command: "delete", Rest: []string{"--force"}}, env, true},
		{"invalid ID", Global{Command: "delete", Rest: []string{"a/b"}}, env, true},
		{"two IDs", Global{Command: "delete", Rest: []string{"c1", "c2"}}, env, true},
		{"help", Global{Command: "delete", Rest: []string{"c9"}, HelpOrVersion: true}, env, false},
		{"relative root", Global{Command: "delete", Rest: []string{"c9"}, Root: "run/runc"}, env, false},
		{"a later WW_STATE_DIR is not read", Global{Command: "delete", Rest: []string{"c1"}, Root: "/run/runc"}, []string{recname.DirEnv + "=" + dir, recname.DirEnv + "=/x"}, false},
	} {
		s := new(scratch)
		got := s.surelyNoRecord(tc.g, tc.env)
		if got != tc.want {
			t.Errorf("%s: surelyNoRecord = %v, want %v", tc.name, got, tc.want)
		}
		// Try reads the environment as syscall.Environ gives it: a
		// key's first entry only.
		var environ []string
		for i, e := range tc.env {
			if !repeatsKeyOf(tc.env[:i], e) {
				environ = append(environ, e)
			}
		}
		if got && !noRecord(tc.g, environ) {
			t.Errorf("%s: surelyNoRecord says no record, noRecord finds one", tc.name)
		}
	}
}

// repeatsKeyOf reports whether an entry of env has e's key.
func repeatsKeyOf(env []string, e string) bool {
	k, _, _ := strings.Cut(e, "=")
	for _, o := range env {
		if ok, _, _ := strings.Cut(o, "="); ok == k {
			return true
		}
	}
	return false
}
