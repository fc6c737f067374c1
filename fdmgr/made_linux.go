package fdmgr

import (
	"golang.org/x/sys/unix"
)

// made is a file that opening a source created: a file opened with
// create=, or the socket file of a listen:unix source. When a later
// source fails, nothing is started and the file is removed again, so that
// a refused run leaves nothing behind.
type made struct {
	// path is where the file is: relative to folder when folder is set,
	// for a source confined to it, which the removal does not leave
	// either.
	path     string
	folder   string
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

// madeBeneath records the file at rel beneath folder, which this process
// has just created and holds open at fd.
func madeBeneath(folder, rel string, fd int) *made {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return nil
	}
	return &made{path: rel, folder: folder, dev: uint64(st.Dev), ino: st.Ino}
}

// madeNamedBeneath records the socket file name in the folder fd dir, at rel
// beneath folder, just bound by this process.
func madeNamedBeneath(folder, rel string, dir int, name string) *made {
	var st unix.Stat_t
	if unix.Fstatat(dir, name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
		return nil
	}
	return &made{path: rel, folder: folder, dev: uint64(st.Dev), ino: st.Ino}
}

// remove unlinks the file if it is still the one this process made.
func (m *made) remove() {
	switch {
	case m == nil:
	case m.folder != "":
		m.removeBeneath()
	default:
		var st unix.Stat_t
		if unix.Lstat(m.path, &st) != nil || !m.is(&st) {
			return
		}
		unix.Unlink(m.path) // best effort: the run is refused either way
	}
}

// removeBeneath removes a file made beneath a folder, reaching it through
// the folder as it was made.
func (m *made) removeBeneath() {
	parent, name := splitName(m.path)
	if name == "" {
		return
	}
	dir, err := openFolder(m.folder)
	if err != nil {
		return
	}
	defer closeFD(dir)
	d, err := openBeneath(dir, m.folder, parent, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer closeFD(d)
	var st unix.Stat_t
	if unix.Fstatat(d, name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil || !m.is(&st) {
		return
	}
	unix.Unlinkat(d, name, 0) // best effort, as remove
}

// is reports whether st is the file made.
func (m *made) is(st *unix.Stat_t) bool {
	return uint64(st.Dev) == m.dev && st.Ino == m.ino
}
