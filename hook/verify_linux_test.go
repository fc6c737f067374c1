package hook

import (
	"os"
	"strconv"
	"syscall"
	"testing"
)

// TestVerify checks this process's own fds against a record: the object
// recorded at the number the config gives passes; every other case is
// missing, with its reason.
func TestVerify(t *testing.T) {
	f, err := os.Open("/etc/hostname")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	fd := int(f.Fd())
	r := &Record{FDs: []FD{
		{Name: "ok", Target: fd, Dev: uint64(st.Dev), Ino: st.Ino},
		{Name: "other", Target: int(g.Fd()), Dev: uint64(st.Dev), Ino: st.Ino},
		{Name: "moved", Target: fd, Dev: uint64(st.Dev), Ino: st.Ino},
		{Name: "novar", Target: fd, Dev: uint64(st.Dev), Ino: st.Ino},
		{Name: "closed", Target: 999, Dev: uint64(st.Dev), Ino: st.Ino},
	}}
	got := Verify(r, os.Getpid(), []Want{
		{"ok", fd}, {"other", int(g.Fd())}, {"moved", fd + 100}, {"novar", -1}, {"closed", 999}, {"unrecorded", fd},
	})
	want := map[string]string{
		"other":      "fd " + itoa(int(g.Fd())) + " of the container's process is not what ww runtime opened",
		"moved":      "the config says fd " + itoa(fd+100) + ", ww runtime put it at " + itoa(fd),
		"novar":      "the config sets no variable for it",
		"closed":     "the container's process holds no fd 999 (no such file or directory)",
		"unrecorded": "ww runtime opened nothing for it",
	}
	if len(got) != len(want) {
		t.Errorf("missing %+v, want %d", got, len(want))
	}
	for _, m := range got {
		if want[m.Name] != m.Why {
			t.Errorf("%s: %q, want %q", m.Name, m.Why, want[m.Name])
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
