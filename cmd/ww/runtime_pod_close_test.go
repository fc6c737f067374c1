package main

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/cmd/internal/runcargs"
	"github.com/ww-dev/ww/fdmgr"
	"github.com/ww-dev/ww/spec"
)

// takenListener is a listening socket standing for one taken from a
// pod's sandbox, at FirstFD or more; closed reports whether ww closed it
// (its number free, or another file's).
func takenListener(t *testing.T) (fd int, closed func() bool) {
	t.Helper()
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(s, &st); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var now unix.Stat_t
		if unix.Fstat(s, &now) == nil && now.Ino == st.Ino {
			unix.Close(s)
		}
	})
	return s, func() bool {
		var now unix.Stat_t
		return unix.Fstat(s, &now) != nil || now.Ino != st.Ino || now.Dev != st.Dev
	}
}

func listenSource(t *testing.T, text string) fdmgr.Source {
	t.Helper()
	s, err := fdmgr.ParseSource(text)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestPlanFDsClosesTakenOnError: a plan that fails at one grant closes
// the fds taken from the sandbox for the grants before it and after it.
func TestPlanFDsClosesTakenOnError(t *testing.T) {
	before, beforeClosed := takenListener(t)
	after, afterClosed := takenListener(t)
	bad := listenSource(t, "listen:tcp:127.0.0.1:0")
	bad.Text = "listen:tcp:127.0.0.1:1" // fields that its text does not say
	grants := []grant{
		{FDRequest: spec.FDRequest{Name: "a", Key: "fd.ww.dev/a", Source: "listen:tcp:127.0.0.1:0"}, open: listenSource(t, "listen:tcp:127.0.0.1:0"), held: before},
		{FDRequest: spec.FDRequest{Name: "b", Key: "fd.ww.dev/b", Source: "listen:tcp:127.0.0.1:1"}, open: bad},
		{FDRequest: spec.FDRequest{Name: "c", Key: "fd.ww.dev/c", Source: "listen:tcp:127.0.0.1:0"}, open: listenSource(t, "listen:tcp:127.0.0.1:0"), held: after},
	}
	if _, err := planFDs(grants, callerFDs{}); err == nil {
		t.Fatal("planFDs took a source whose fields its text does not say")
	}
	if !beforeClosed() {
		t.Error("the taken fd of the grant before the failing one is still open")
	}
	if !afterClosed() {
		t.Error("the taken fd of the grant after the failing one is still open")
	}
}

// TestOpenRecordedClosesTakenOnError: a create whose record cannot be
// begun closes the fds taken from the sandbox.
func TestOpenRecordedClosesTakenOnError(t *testing.T) {
	fd, closed := takenListener(t)
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("WW_STATE_DIR", filepath.Join(file, "records"))
	m := fdmgr.NewFDManager()
	if err := m.AddHeld("a", listenSource(t, "listen:tcp:127.0.0.1:0"), fd); err != nil {
		t.Fatal(err)
	}
	c, err := parseRequest("config.json", []byte(`{"annotations":{"fd.ww.dev/a":"listen:tcp:127.0.0.1:0"}}`))
	if err != nil {
		t.Fatal(err)
	}
	a := &runcargs.Args{Command: runcargs.Create, ID: "ww-close", Bundle: t.TempDir()}
	if _, err := openRecorded("/bin/false", a, m, c); err == nil {
		t.Fatal("openRecorded began a record under a regular file")
	}
	if !closed() {
		t.Error("the taken fd is still open after the record failed")
	}
}
