package fdmgr

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// heldListener opens a listener as another process would hold it, and
// returns it with its source.
func heldListener(t *testing.T) (int, Source) {
	t.Helper()
	s, err := ParseSource("listen:tcp:127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fd, err := open(s)
	if err != nil {
		t.Fatal(err)
	}
	return fd, s
}

func isOpen(fd int) bool {
	_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	return !errors.Is(err, unix.EBADF)
}

// TestAddHeldLandsByName: a held fd lands where its name puts it among
// the sources the manager opens, is handed over as it is, and is closed
// with the others.
func TestAddHeldLandsByName(t *testing.T) {
	fd, s := heldListener(t)
	m := NewFDManager()
	if err := m.Add("b", "listen:tcp:127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := m.AddHeld("a", s, fd); err != nil {
		t.Fatal(err)
	}
	if err := m.Add("c", "listen:tcp:127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := m.PrepareFDs(); err != nil {
		t.Fatal(err)
	}
	fds := m.FDs()
	if len(fds) != 3 || fds[0].Name != "a" || fds[0].Target != 3 || fds[0].Dup != fd || fds[1].Name != "b" || fds[2].Name != "c" {
		t.Fatalf("fds %+v: want a (the held fd %d) at 3, then b and c", fds, fd)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if isOpen(fd) {
		t.Errorf("held fd %d is open after Close", fd)
	}
}

// TestAddHeldClosedWhenNotHandedOver: a held fd is closed by a manager
// that never prepares, by a PrepareFDs that fails, and by AddHeld itself
// when it refuses the request.
func TestAddHeldClosedWhenNotHandedOver(t *testing.T) {
	tests := []struct {
		name string
		run  func(m *FDManager, s Source, fd int) error
	}{
		{"closed without PrepareFDs", func(m *FDManager, s Source, fd int) error {
			if err := m.AddHeld("a", s, fd); err != nil {
				return err
			}
			return m.Close()
		}},
		{"PrepareFDs fails on a later request", func(m *FDManager, s Source, fd int) error {
			if err := m.AddHeld("a", s, fd); err != nil {
				return err
			}
			if err := m.Add("b", "file:/nonexistent/ww-held"); err != nil {
				return err
			}
			if err := m.PrepareFDs(); err == nil {
				return errors.New("PrepareFDs succeeded")
			}
			return nil
		}},
		{"PrepareFDs fails on an earlier request", func(m *FDManager, s Source, fd int) error {
			if err := m.AddHeld("z", s, fd); err != nil {
				return err
			}
			if err := m.Add("b", "file:/nonexistent/ww-held"); err != nil {
				return err
			}
			if err := m.PrepareFDs(); err == nil {
				return errors.New("PrepareFDs succeeded")
			}
			return nil
		}},
		{"name refused", func(m *FDManager, s Source, fd int) error {
			if err := m.AddHeld("a=b", s, fd); err == nil {
				return errors.New("AddHeld took a bad name")
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd, s := heldListener(t)
			if err := tt.run(NewFDManager(), s, fd); err != nil {
				t.Fatal(err)
			}
			if isOpen(fd) {
				unix.Close(fd)
				t.Errorf("held fd %d is still open", fd)
			}
		})
	}
}

func TestAddHeldStandardStream(t *testing.T) {
	fd, s := heldListener(t)
	defer unix.Close(fd)
	if err := NewFDManager().AddHeld("a", s, 2); err == nil || !isOpen(2) {
		t.Errorf("AddHeld of fd 2: %v, fd 2 open %v; want an error and fd 2 left alone", err, isOpen(2))
	}
}
