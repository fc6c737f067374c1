package hook

import (
	"fmt"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Begin starts the record of container id under the lower runtime's
// root, whose bundle is the folder bundle, before anything is opened for
// it: intended are the files that opening may make (Path and Socket set).
// Each notes what is at its path now, so that a cleanup never takes that
// for ww's.
func Begin(id, root, bundle string, intended []File) (*Record, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(bundle)
	if err != nil {
		return nil, fmt.Errorf("bundle %q: %w", bundle, err)
	}
	if root != "" {
		if root, err = filepath.Abs(root); err != nil {
			return nil, fmt.Errorf("root %q: %w", root, err)
		}
	}
	var st unix.Stat_t
	if err := unix.Stat(abs, &st); err != nil {
		return nil, fmt.Errorf("bundle %q: %w", abs, err)
	}
	// File systems stamp a birth with the coarse clock, which may lag the
	// fine one by a tick: a file made after this moment is never stamped
	// earlier than it.
	var now unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_REALTIME_COARSE, &now); err != nil {
		return nil, fmt.Errorf("clock: %w", err)
	}
	r := &Record{ID: id, Root: root, Bundle: abs, BundleDev: uint64(st.Dev), BundleIno: st.Ino, Begun: now.Nano(), Pid: unix.Getpid()}
	r.Files = make([]File, len(intended))
	for i, f := range intended {
		f.Dev, f.Ino = 0, 0
		if f.Path, err = filepath.Abs(f.Path); err != nil {
			return nil, fmt.Errorf("path %q: %w", f.Path, err)
		}
		if unix.Lstat(f.Path, &st) == nil {
			f.PrevDev, f.PrevIno = uint64(st.Dev), st.Ino
		}
		// Whoever writes a parent folder may put another folder, or a
		// symbolic link, at its place later: a cleanup looks in this one.
		if unix.Stat(filepath.Dir(f.Path), &st) == nil {
			f.DirDev, f.DirIno = uint64(st.Dev), st.Ino
		}
		r.Files[i] = f
	}
	return r, nil
}
