package fdmgr

// Abort undoes PrepareFDs for a start that did not happen: it closes every
// duplicate, as Close does, and removes the files that opening created
// (files opened with create=, the socket files of listen:unix: sources),
// if they are still the ones it made, so that a refused or interrupted
// start leaves nothing behind.
func (m *FDManager) Abort() error {
	for _, fd := range m.fds {
		fd.created.remove()
	}
	return m.Close()
}
