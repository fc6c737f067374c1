package fdmgr

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMakesFiles tells which requests may create a file.
func TestMakesFiles(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  bool
	}{
		{"file with create=, makes one", "a=file:/x?mode=w&create=0600", true},
		{"unix listener, makes its socket file", "a=listen:unix:/run/x.sock", true},
		{"abstract unix listener, makes none", "a=listen:unix:@x", false},
		{"file without create=, makes none", "a=file:/x?mode=w", false},
		{"tcp listener, makes none", "a=listen:tcp::0", false},
		{"fd, makes none", "a=0", false},
		{"unix client, makes none", "a=unix:/run/x.sock", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewFDManager()
			if err := m.ParseFDFlag(tc.value); err != nil {
				t.Fatal(err)
			}
			if got := m.MakesFiles(); got != tc.want {
				t.Errorf("MakesFiles() = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestAbortRemovesMadeFiles prepares a created file, a unix listener and
// a file that was already there, then aborts: every fd is closed, the two
// files ww made are gone, the one it found stays.
func TestAbortRemovesMadeFiles(t *testing.T) {
	dir := t.TempDir()
	made, sock, found := filepath.Join(dir, "made"), filepath.Join(dir, "sock"), filepath.Join(dir, "found")
	if err := os.WriteFile(found, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := countFDs(t)
	m := NewFDManager()
	for _, v := range []string{"a=file:" + made + "?mode=w&create=0600", "b=listen:unix:" + sock,
		"c=file:" + found + "?mode=w&create=0600"} {
		if err := m.ParseFDFlag(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.PrepareFDs(); err != nil {
		t.Fatal(err)
	}
	if err := m.Abort(); err != nil {
		t.Fatal(err)
	}
	if after := countFDs(t); after != before {
		t.Errorf("%d fds open after Abort, %d before", after, before)
	}
	for _, p := range []string{made, sock} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s: %v, want it removed", p, err)
		}
	}
	if _, err := os.Stat(found); err != nil {
		t.Errorf("the file that was there before: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("Close after Abort: %v", err)
	}
}
