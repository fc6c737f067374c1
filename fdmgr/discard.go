package fdmgr

// MakesFiles reports whether PrepareFDs may create a file: a file source
// with create=, or a listening unix socket at a path (not an abstract
// one). A caller that must leave nothing behind when its start is
// interrupted keeps signals off while such a manager prepares, and
// discards what it made with Abort; a manager that makes no file needs
// neither, as the fds close with the process.
func (m *FDManager) MakesFiles() bool {
	for _, r := range m.requests {
		s := r.Source
		switch {
		case s.Kind == SourceFile && s.Create:
			return true
		case s.Kind == SourceListen && s.Network == "unix" && !s.Abstract():
			return true
		}
	}
	return false
}
