package fdmgr

import (
	"golang.org/x/sys/unix"
)

// made is a file that opening a source created: a file opened with
// create=, or the socket file of a listen:unix source. When a later
// source fails, nothing is started and the file is removed again, so that
// a refused run leaves nothing behind.
type made struct {
	path     string
	dev, ino uint64
}

// madeAt records the file at path, just created by this process.
func madeAt(path string) *made {
	var st unix.Stat_t
	if unix.Lstat(path, &st) != nil {
		return nil
	}
	return &made{path: path, dev: uint64(st.Dev), ino: st.Ino} // st_dev is 32 bits on mips
}

// remove unlinks the file if it is still the one this process made.
func (m *made) remove() {
	if m == nil {
		return
	}
	var st unix.Stat_t
	if unix.Lstat(m.path, &st) != nil || uint64(st.Dev) != m.dev || st.Ino != m.ino {
		return
	}
	unix.Unlink(m.path) // best effort: the run is refused either way
}
