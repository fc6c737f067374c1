package hook

import (
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

// Want is one name the container's config asks for, with the fd number
// that its WW_FD_<NAME> variable gives, or -1 when the config has none.
type Want struct {
	Name   string
	Target int
}

// Missing is a wanted name the container does not hold as ww opened it,
// and why.
type Missing struct {
	Name, Why string
}

// Verify checks that process pid (the container's init, seen from the
// runtime's namespaces) holds, for every wanted name, at the fd number
// its variable gives, the very object that r says ww opened: the same
// device and inode (for a socket, its inode). It returns what is missing.
func Verify(r *Record, pid int, wants []Want) []Missing {
	byName := make(map[string]FD, len(r.FDs))
	for _, fd := range r.FDs {
		byName[fd.Name] = fd
	}
	var missing []Missing
	for _, w := range wants {
		if why := check(byName, pid, w); why != "" {
			missing = append(missing, Missing{Name: w.Name, Why: why})
		}
	}
	return missing
}

func check(byName map[string]FD, pid int, w Want) string {
	fd, ok := byName[w.Name]
	switch {
	case !ok:
		return "ww runtime opened nothing for it"
	case w.Target < 0:
		return "the config sets no variable for it"
	case w.Target != fd.Target:
		return fmt.Sprintf("the config says fd %d, ww runtime put it at %d", w.Target, fd.Target)
	}
	var st unix.Stat_t
	path := "/proc/" + strconv.Itoa(pid) + "/fd/" + strconv.Itoa(w.Target)
	if err := unix.Stat(path, &st); err != nil {
		return fmt.Sprintf("the container's process holds no fd %d (%v)", w.Target, err)
	}
	if uint64(st.Dev) != fd.Dev || st.Ino != fd.Ino {
		return fmt.Sprintf("fd %d of the container's process is not what ww runtime opened", w.Target)
	}
	return ""
}
