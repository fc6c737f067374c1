package fdmgr

import (
	"net"
	"strings"
	"testing"
)

// TestReserveTargetsRefusesPoller puts a target range over the test
// process's own netpoller fd: ReserveTargets must refuse rather than let
// Exec overwrite it.
func TestReserveTargetsRefusesPoller(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0") // makes sure the poller exists
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fds, err := openFDs()
	if err != nil {
		t.Fatal(err)
	}
	poller := -1
	for _, fd := range fds {
		if target, err := readlinkFD(fd); err == nil && target == "anon_inode:[eventpoll]" {
			poller = fd
			break
		}
	}
	if poller < 0 {
		t.Fatal("no eventpoll fd in the test process")
	}
	before := countFDs(t)
	m := NewFDManager()
	m.First = poller
	if err := m.Add("x", "0"); err != nil {
		t.Fatal(err)
	}
	err = m.ReserveTargets()
	if err == nil || !strings.Contains(err.Error(), "epoll") {
		t.Fatalf("ReserveTargets over fd %d: %v, want an error naming the epoll instance", poller, err)
	}
	m.Close()
	if after := countFDs(t); after != before {
		t.Errorf("%d fds before, %d after a refused ReserveTargets", before, after)
	}
}

// TestReserveTargets checks that every free target number is taken, so
// that what is opened next lands above the targets.
func TestReserveTargets(t *testing.T) {
	before := countFDs(t)
	m := NewFDManager()
	m.First = 200
	for _, v := range []string{"a=0", "b=1", "c=2"} {
		if err := m.ParseFDFlag(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.ReserveTargets(); err != nil {
		t.Fatal(err)
	}
	for fd := 200; fd < 203; fd++ {
		if err := checkOpen(fd); err != nil {
			t.Errorf("target %d is not reserved: %v", fd, err)
		}
	}
	if err := m.PrepareFDs(); err != nil {
		t.Fatal(err)
	}
	for _, fd := range m.FDs() {
		if fd.Dup < 203 && fd.Dup >= 200 {
			t.Errorf("%s's copy %d sits in the target range", fd.Name, fd.Dup)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if after := countFDs(t); after != before {
		t.Errorf("%d fds before, %d after Close", before, after)
	}
}
