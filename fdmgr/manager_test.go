//go:build linux

package fdmgr

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseFDFlag(t *testing.T) {
	tests := []struct {
		name    string
		values  []string
		want    []Request // in landing order
		wantErr string
	}{
		{"db=3, one request", []string{"db=3"}, []Request{{"db", Source{Kind: SourceFD, FD: 3, Text: "3"}}}, ""},
		{"fd:N form, same fd", []string{"db=fd:7"}, []Request{{"db", Source{Kind: SourceFD, FD: 7, Text: "fd:7"}}}, ""},
		{"fd 0, allowed", []string{"in=0"}, []Request{{"in", Source{Kind: SourceFD, FD: 0, Text: "0"}}}, ""},
		{"two flags reversed, sorted by fd", []string{"cache=4", "db=3"}, []Request{
			{"db", Source{Kind: SourceFD, FD: 3, Text: "3"}}, {"cache", Source{Kind: SourceFD, FD: 4, Text: "4"}}}, ""},
		{"same fd two names, sorted by name", []string{"b=5", "a=5"}, []Request{
			{"a", Source{Kind: SourceFD, FD: 5, Text: "5"}}, {"b", Source{Kind: SourceFD, FD: 5, Text: "5"}}}, ""},
		{"63-character name, accepted", []string{strings.Repeat("a", 63) + "=1"}, []Request{
			{strings.Repeat("a", 63), Source{Kind: SourceFD, FD: 1, Text: "1"}}}, ""},
		{"no =, error", []string{"db"}, nil, `"db": want NAME=SOURCE, there is no "="`},
		{"empty name, error", []string{"=3"}, nil, `"=3": name is empty`},
		{"empty source, error", []string{"db="}, nil, `"db=": source is empty`},
		{"letters as fd, error", []string{"db=x"}, nil, `"db=x": fd "x" is not a number`},
		{"fd: and letters, error", []string{"db=fd:x"}, nil, `"db=fd:x": fd "x" is not a number`},
		{"fd: and nothing, error", []string{"db=fd:"}, nil, `"db=fd:": fd "fd:" is empty`},
		{"negative fd, error", []string{"db=-2"}, nil, `"db=-2": fd "-2" is negative`},
		{"plus sign, error", []string{"db=+2"}, nil, `"db=+2": fd "+2" is not a number`},
		{"fd past int32, error", []string{"db=2147483648"}, nil, `"db=2147483648": fd "2147483648" is out of range`},
		{"fd past int64, error", []string{"db=99999999999999999999"}, nil, `fd "99999999999999999999" is out of range`},
		{"unknown kind, error", []string{"db=bogus:x"}, nil, `"db=bogus:x": source "bogus:x" is of no known kind`},
		{"digit first, error", []string{"1db=3"}, nil, `"1db=3": name "1db" must start with an ASCII letter`},
		{"underscore first, error", []string{"_db=3"}, nil, `name "_db" must start with an ASCII letter`},
		{"accented letter first, error", []string{"é=3"}, nil, `"é=3": name "é" must start with an ASCII letter`},
		{"dot in name, error", []string{"d.b=3"}, nil, `"d.b=3": name "d.b" has character '.'`},
		{"accented letter in name, error", []string{"aé=3"}, nil, `"aé=3": name "aé" has character 'é'`},
		{"byte that is no UTF-8 in name, error", []string{"d\xffb=3"}, nil, `"d\xffb=3": name "d\xffb" has character "\xff"`},
		{"64-character name, error", []string{strings.Repeat("a", 64) + "=1"}, nil, "is longer than 63 characters"},
		{"same name twice, error", []string{"db=3", "db=4"}, nil, `"db=4": name "db" is given twice`},
		{"names equal by case, error", []string{"db=3", "Db=4"}, nil, `"Db=4": name "Db" is the same as "db" (both are WW_FD_DB)`},
		{"names equal by dash, error", []string{"a-b=3", "a_b=4"}, nil, `name "a_b" is the same as "a-b" (both are WW_FD_A_B)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewFDManager()
			var err error
			for _, v := range tc.values {
				if err = m.ParseFDFlag(v); err != nil {
					break
				}
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Requests(); !slices.Equal(got, tc.want) {
				t.Errorf("requests %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestEnvName(t *testing.T) {
	for in, want := range map[string]string{
		"db": "WW_FD_DB", "Cache": "WW_FD_CACHE", "my-sock": "WW_FD_MY_SOCK", "a_b-C9": "WW_FD_A_B_C9",
	} {
		if got := EnvName(in); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseEnvVar(t *testing.T) {
	tests := []struct {
		key, value string
		name       string
		fd         int
		wantErr    string
	}{
		{"WW_FD_DB", "3", "db", 3, ""},
		{"WW_FD_CACHE_X", "1002", "cache_x", 1002, ""},
		{"DB", "3", "", 0, "the name does not start with WW_FD_"},
		{"WW_FD_", "3", "", 0, "name is empty"},
		{"WW_FD_db", "3", "", 0, `name "db" should be written "DB"`},
		{"WW_FD_A-B", "3", "", 0, `name "A-B" should be written "A_B"`},
		{"WW_FD_DB", "x", "", 0, "fd is not a number"},
		{"WW_FD_DB", " 3", "", 0, "fd is not a number"},
		{"WW_FD_DB", "99999999999", "", 0, "fd is out of range"},
		{"WW_FD_DB", "2", "", 0, "fd 2 is a standard stream, named fds start at 3"},
	}
	for _, tc := range tests {
		name, fd, err := ParseEnvVar(tc.key, tc.value)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("ParseEnvVar(%q, %q) error = %v, want %q", tc.key, tc.value, err, tc.wantErr)
			}
			continue
		}
		if err != nil || name != tc.name || fd != tc.fd {
			t.Errorf("ParseEnvVar(%q, %q) = %q, %d, %v; want %q, %d", tc.key, tc.value, name, fd, err, tc.name, tc.fd)
		}
		if EnvName(name) != tc.key {
			t.Errorf("EnvName(%q) = %q, want it back as %q", name, EnvName(name), tc.key)
		}
	}
}

func TestEnviron(t *testing.T) {
	base := []string{"PATH=/bin", "WW_FD_OLD=9", "LISTEN_FDS=1", "LISTEN_PID=4", "LISTEN_FDNAMES=x", "LISTEN_PIDFDID=77",
		"LISTEN_FDSX=kept", "WW_FDX=kept", "HOME=/root"}
	got := Environ(base, "WW_FD_DB=3")
	want := []string{"PATH=/bin", "LISTEN_FDSX=kept", "WW_FDX=kept", "HOME=/root", "WW_FD_DB=3"}
	if !slices.Equal(got, want) {
		t.Errorf("Environ = %q, want %q", got, want)
	}
}

// tempFD opens a file and returns its fd, closed at the end of the test.
func tempFD(t *testing.T) int {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "fd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return int(f.Fd())
}

func TestPrepareFDs(t *testing.T) {
	a, b := tempFD(t), tempFD(t)
	m := NewFDManager()
	for _, v := range []string{"b=" + itoa(b), "a=" + itoa(a), "err=2"} {
		if err := m.ParseFDFlag(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.PrepareFDs(); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	fds := m.FDs()
	wantNames := []string{"err", "a", "b"}
	for i, fd := range fds {
		if fd.Name != wantNames[i] || fd.Target != FirstFD+i {
			t.Errorf("fd %d: %s at %d, want %s at %d", i, fd.Name, fd.Target, wantNames[i], FirstFD+i)
		}
		if fd.Dup == fd.Source.FD || fd.Dup < FirstFD {
			t.Errorf("%s: dup %d is not a new fd above 2", fd.Name, fd.Dup)
		}
		if !sameFile(t, fd.Dup, fd.Source.FD) {
			t.Errorf("%s: dup %d is not a copy of %d", fd.Name, fd.Dup, fd.Source.FD)
		}
		flags, err := unix.FcntlInt(uintptr(fd.Dup), unix.F_GETFD, 0)
		if err != nil || flags&unix.FD_CLOEXEC == 0 {
			t.Errorf("%s: dup %d flags %#x, %v; want close-on-exec", fd.Name, fd.Dup, flags, err)
		}
	}
	want := []string{"WW_FD_ERR=3", "WW_FD_A=4", "WW_FD_B=5"}
	if got := m.GenerateEnvVars(); !slices.Equal(got, want) {
		t.Errorf("GenerateEnvVars = %q, want %q", got, want)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		if checkOpen(fd.Dup) == nil && !isOneOf(fd.Dup, a, b) {
			t.Errorf("dup %d of %s still open after Close", fd.Dup, fd.Name)
		}
	}
	if checkOpen(a) != nil || checkOpen(b) != nil {
		t.Errorf("a source fd was closed")
	}
}

// TestPrepareFDsFirst checks that targets start at First when it is set.
func TestPrepareFDsFirst(t *testing.T) {
	m := NewFDManager()
	m.First = 7
	if err := m.Add("x", "1"); err != nil {
		t.Fatal(err)
	}
	if err := m.PrepareFDs(); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got := m.GenerateEnvVars(); !slices.Equal(got, []string{"WW_FD_X=7"}) {
		t.Errorf("GenerateEnvVars = %q, want WW_FD_X=7", got)
	}
}

// TestPrepareFDsClosedFD checks that an fd that is not open is an error
// naming the request, and that the fds opened before it are closed.
func TestPrepareFDsClosedFD(t *testing.T) {
	before := countFDs(t)
	m := NewFDManager()
	for _, v := range []string{"a=0", "b=1", "c=999999"} {
		if err := m.ParseFDFlag(v); err != nil {
			t.Fatal(err)
		}
	}
	err := m.PrepareFDs()
	if want := `"c=999999": fd 999999 is not open`; err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	if after := countFDs(t); after != before {
		t.Errorf("%d fds open before, %d after a failed PrepareFDs", before, after)
	}
}

// TestManagerLeaksNothing uses the whole API many times in one process
// and counts /proc/self/fd before and after.
func TestManagerLeaksNothing(t *testing.T) {
	src := tempFD(t)
	before := countFDs(t)
	for i := 0; i < 200; i++ {
		m := NewFDManager()
		for _, v := range []string{"a=0", "b=" + itoa(src), "c=2"} {
			if err := m.ParseFDFlag(v); err != nil {
				t.Fatal(err)
			}
		}
		if err := m.PrepareFDs(); err != nil {
			t.Fatal(err)
		}
		_ = m.GenerateEnvVars()
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		if err := m.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	}
	if after := countFDs(t); after != before {
		t.Errorf("%d fds open before, %d after 200 rounds", before, after)
	}
}

func countFDs(t *testing.T) int {
	t.Helper()
	fds, err := openFDs()
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

func sameFile(t *testing.T, a, b int) bool {
	t.Helper()
	var sa, sb unix.Stat_t
	if err := unix.Fstat(a, &sa); err != nil {
		t.Fatal(err)
	}
	if err := unix.Fstat(b, &sb); err != nil {
		t.Fatal(err)
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

func isOneOf(fd int, fds ...int) bool { return slices.Contains(fds, fd) }

func itoa(n int) string { return strconv.Itoa(n) }

// FuzzParseFDFlag checks that no value makes the parser panic, and that
// an accepted value has a valid name and parses the same again.
func FuzzParseFDFlag(f *testing.F) {
	for _, s := range []string{"db=3", "a=fd:0", "x=", "=", "db=-1", "a-b=99999999999", "Z_9=fd:+1", "é=3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		m := NewFDManager()
		if err := m.ParseFDFlag(v); err != nil {
			if err.Error() == "" {
				t.Fatalf("empty error for %q", v)
			}
			return
		}
		r := m.Requests()
		if len(r) != 1 || ValidateName(r[0].Name) != nil {
			t.Fatalf("accepted %q as %+v", v, r)
		}
		again, err := ParseSource(r[0].Source.Text)
		if err != nil || again != r[0].Source {
			t.Fatalf("source of %q parses again as %+v, %v", v, again, err)
		}
	})
}
