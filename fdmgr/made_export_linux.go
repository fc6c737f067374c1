package fdmgr

import "path/filepath"

// Made is a file on the host that opening a source created: the socket
// file of a listen:unix: source, or a file opened with create=.
type Made struct {
	Path     string // absolute when the source's path was
	Dev, Ino uint64
}

// Made returns the file that opening fd's source created, if it did.
// The FDManager removes it itself only in Abort; a caller that hands the
// fd to something that outlives it (a container) keeps the file's
// identity to remove it later, while it is still that file.
func (fd FD) Made() (Made, bool) {
	m := fd.created
	if m == nil {
		return Made{}, false
	}
	path := m.path
	if m.folder != "" {
		path = filepath.Join(m.folder, m.path)
	}
	return Made{Path: path, Dev: m.dev, Ino: m.ino}, true
}
