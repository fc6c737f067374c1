package fdmgr

import "fmt"

// AddHeld adds a named request whose fd is open already: fd, a copy this
// process got of a socket that another process holds for it (as ww
// runtime takes a pod's listener from the pod's sandbox), which the
// manager owns from now on, closing it with the others. The request lands
// where one for s would: by its name, among the sources it opens, so
// that a child gets the same numbers whether its fd was opened afresh or
// taken. s is what the fd was opened for; messages quote it. On error fd
// is closed, unless it is a standard stream's number.
func (m *FDManager) AddHeld(name string, s Source, fd int) error {
	if fd < FirstFD {
		return fmt.Errorf("source %q: held fd %d is a standard stream's number", s.Text, fd)
	}
	if err := m.AddSource(name, s); err != nil {
		closeFD(fd)
		return err
	}
	if m.held == nil {
		m.held = make(map[int]int)
	}
	m.held[len(m.requests)-1] = fd
	return nil
}

// closeHeld closes the held fds that no prepared FD owns: those of a
// manager dropped before PrepareFDs, or of one whose PrepareFDs failed
// before it reached them.
func (m *FDManager) closeHeld(owners []FD) {
	if len(m.held) == 0 {
		return
	}
	owned := make(map[int]bool, len(owners))
	for _, fd := range owners {
		owned[fd.Dup] = true
	}
	for _, fd := range m.held {
		if !owned[fd] {
			closeFD(fd)
		}
	}
	m.held = nil
}
