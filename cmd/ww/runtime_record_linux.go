package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/cmd/internal/runcargs"
	"github.com/ww-dev/ww/fdmgr"
	"github.com/ww-dev/ww/hook"
)

// containerRecord is ww runtime's record of the container a create hands
// fds to (package hook): begun before anything is opened, completed once
// the fds are open, and removed when the create fails or the container
// has ended with a foreground run. A nil record (no fds) does nothing.
type containerRecord struct {
	store *hook.Store
	rec   *hook.Record
}

// openRecorded opens the fds of m as openFDs does, between the two
// writes of the container's record: what opening makes is always on
// record. An error leaves nothing open, made or recorded.
func openRecorded(lower string, a *runcargs.Args, m *fdmgr.FDManager, c *createRequest) (*containerRecord, error) {
	rec, err := beginRecord(lower, a, m)
	if err != nil {
		closeFDs(m, false) // nothing opened yet: it closes the fds taken from a sandbox
		return nil, err
	}
	if err := openFDs(m, c); err != nil {
		rec.end(false, a)
		return nil, err
	}
	if err := rec.opened(m, a); err != nil {
		closeFDs(m, false)
		rec.end(false, a)
		return nil, err
	}
	return rec, nil
}

// beginRecord writes the record of a's container, naming the files that
// opening m may make, so that what a create killed outright made is found
// again. A record left by an earlier container of the same ID and root
// is cleaned up first if that container is gone; if it exists, the
// create is refused before anything is made.
func beginRecord(lower string, a *runcargs.Args, m *fdmgr.FDManager) (*containerRecord, error) {
	if m.Len() == 0 {
		return &containerRecord{}, nil
	}
	store, err := hook.OpenStore(hook.DirFromEnv(os.Environ()), true)
	if err != nil {
		return nil, err
	}
	if err := cleanStale(store, lower, a.Root, a.ID, a.Bundle); err != nil {
		return nil, err
	}
	intended := intendedFiles(m)
	rec, err := hook.Begin(a.ID, a.Root, a.Bundle, intended)
	if err != nil {
		return nil, err
	}
	// Without files that opening makes, a create killed now leaves
	// nothing to find: the record is written once, after opening.
	if len(intended) > 0 {
		if err := store.Write(rec); err != nil {
			return nil, err
		}
	}
	return &containerRecord{store: store, rec: rec}, nil
}

// intendedFiles are the files that opening m's requests may make.
func intendedFiles(m *fdmgr.FDManager) []hook.File {
	var files []hook.File
	for _, r := range m.Requests() {
		s := r.Source
		switch {
		case s.Kind == fdmgr.SourceListen && s.Network == "unix" && !strings.HasPrefix(s.Path, "@"):
			files = append(files, hook.File{Path: s.Path, Socket: true})
		case s.Kind == fdmgr.SourceFile && s.Create:
			files = append(files, hook.File{Path: s.Path})
		}
	}
	return files
}

// cleanStale removes the record of id under root, and what it names,
// when the lower runtime says that container does not exist. bundle is
// the bundle of the create that asks, whose lock it holds.
func cleanStale(store *hook.Store, lower, root, id, bundle string) error {
	if !store.Has(id, root) {
		return nil
	}
	old, err := store.Read(id, root)
	if errors.Is(err, hook.ErrNoRecord) {
		return nil
	}
	if err != nil {
		return err
	}
	// A create of the same ID from another bundle may be under way,
	// between the first write of its record and the lower runtime's
	// create, where the container does not exist yet: it holds its
	// bundle's lock until it is done. Wait for it, then look again.
	if !sameFile(old.Bundle, bundle) {
		unlock, err := lockBundle(old.Bundle, bundleLockWait)
		switch {
		case err == nil:
			defer unlock()
			old, err = store.Read(id, root)
			if errors.Is(err, hook.ErrNoRecord) {
				return nil
			}
			if err != nil {
				return err
			}
		case !errors.Is(err, unix.ENOENT):
			return fmt.Errorf("container %q: a create of it from bundle %q may be under way: %w", id, old.Bundle, err)
		}
	}
	gone, err := containerGone(lower, root, id)
	if err != nil {
		return err
	}
	if !gone {
		return fmt.Errorf("container %q exists (%s state %s): ww runtime keeps the record of its fds until it is deleted", id, lower, id)
	}
	return store.Clean(old, old.Created)
}

// opened completes the record with what each fd is and the files that
// opening made. A run's container may run before ww knows that it was
// created: its record says created from here, so that what it writes is
// never removed (a run killed before the container is made leaves an
// empty create= file, not a lost one).
func (c *containerRecord) opened(m *fdmgr.FDManager, a *runcargs.Args) error {
	if c.rec == nil {
		return nil
	}
	c.rec.Created = a.Command == runcargs.Run
	c.rec.FDs = c.rec.FDs[:0]
	c.rec.Files = c.rec.Files[:0]
	for _, fd := range m.FDs() {
		var st unix.Stat_t
		if err := unix.Fstat(fd.Dup, &st); err != nil {
			return fmt.Errorf("record fd %s: %w", fd.Name, err)
		}
		c.rec.FDs = append(c.rec.FDs, hook.FD{Name: fd.Name, Target: fd.Target, Dev: uint64(st.Dev), Ino: st.Ino})
		if mf, ok := fd.Made(); ok {
			c.rec.Files = append(c.rec.Files, hook.File{Path: mf.Path, Socket: fd.Source.Kind == fdmgr.SourceListen, Dev: mf.Dev, Ino: mf.Ino})
		}
	}
	return c.store.Write(c.rec)
}

// end settles the record once the lower runtime is done: a create that
// failed (its files already removed) leaves no record; one that worked
// notes that the container was created; a foreground run whose container
// is gone leaves neither record nor socket files, but keeps the files
// made by create=, which hold what the container wrote.
func (c *containerRecord) end(kept bool, a *runcargs.Args) {
	switch {
	case c.rec == nil:
	case !kept:
		c.store.Remove(c.rec)
	case a.Command == runcargs.Run && !a.Detach && !a.Keep:
		c.store.Clean(c.rec, true)
	case !c.rec.Created:
		c.rec.Created = true
		c.store.Write(c.rec) // without it, a delete removes create= files the container never wrote to
	}
}
