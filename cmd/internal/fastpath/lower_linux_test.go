package fastpath

import (
	"path"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
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
