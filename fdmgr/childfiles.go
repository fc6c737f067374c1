package fdmgr

// ChildFiles returns the fd table of a program that this process starts
// with fork and exec, as syscall.ProcAttr.Files takes it: stdio at 0, 1
// and 2, then each prepared fd at its target (fds from 3 to First-1 are
// closed). cloexecFrom is the lowest fd that the caller must mark
// close-on-exec (CloseOnExecFrom) before the fork, so that nothing else
// reaches the program.
//
// When every fd already sits at its target, inherited without
// close-on-exec (with Borrow, by a caller that was handed its fds as 3, 4,
// … and names them so), the table ends with stdio and the program
// inherits those fds where they are: the fork then does no work per fd,
// and cloexecFrom is past the last target.
func (m *FDManager) ChildFiles(stdio [3]uintptr) (files []uintptr, cloexecFrom int) {
	first := m.first()
	limit := first + len(m.fds)
	if first == FirstFD && m.inPlace() {
		return stdio[:], limit
	}
	files = make([]uintptr, limit)
	copy(files, stdio[:])
	for i := len(stdio); i < first; i++ {
		files[i] = ^uintptr(0) // closed in the program
	}
	for _, fd := range m.fds {
		files[fd.Target] = uintptr(fd.Dup)
	}
	return files, FirstFD
}

// inPlace reports whether every prepared fd is an inherited fd that sits
// at its target.
func (m *FDManager) inPlace() bool {
	for _, fd := range m.fds {
		if !fd.inherited || fd.Dup != fd.Target {
			return false
		}
	}
	return true
}
