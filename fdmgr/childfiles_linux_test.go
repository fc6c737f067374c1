package fdmgr

import (
	"os"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// TestChildFiles checks the child's fd table for fds out of place: each
// is listed at its target.
func TestChildFiles(t *testing.T) {
	// Two inherited fds, without close-on-exec, at consecutive numbers.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	a, b := int(r.Fd()), int(w.Fd())
	for _, fd := range []int{a, b} {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
			t.Fatal(err)
		}
	}
	stdio := [3]uintptr{0, 1, 2}
	prepare := func(t *testing.T, first int, values ...string) *FDManager {
		t.Helper()
		m := NewFDManager()
		m.Borrow, m.First = true, first
		if err := m.ParseFDFlags(values...); err != nil {
			t.Fatal(err)
		}
		if err := m.PrepareFDs(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		return m
	}
	t.Run("fds elsewhere, listed at their targets", func(t *testing.T) {
		m := prepare(t, 0, "x="+itoa(b), "y=1")
		files, from := m.ChildFiles(stdio)
		want := []uintptr{0, 1, 2, 1, uintptr(b)}
		if !slices.Equal(files, want) || from != FirstFD {
			t.Errorf("files %v, cloexec from %d; want %v from %d", files, from, want, FirstFD)
		}
	})
	t.Run("first past 3, the gap closed", func(t *testing.T) {
		m := prepare(t, 5, "y=1")
		files, from := m.ChildFiles(stdio)
		closed := ^uintptr(0)
		want := []uintptr{0, 1, 2, closed, closed, 1}
		if !slices.Equal(files, want) || from != FirstFD {
			t.Errorf("files %v, cloexec from %d; want %v from %d", files, from, want, FirstFD)
		}
	})
	// The in-place case (fds already at 3, 4, … named in order) needs a
	// process whose 3 and 4 are free to give: ww's run tests cover it
	// ("sources 3..5 keep their numbers").
}
