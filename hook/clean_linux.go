package hook

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// Clean removes what ww made on the host for the container of r, then r
// itself, once the container does not exist. A file is removed only while
// it is the one ww made: by its recorded identity; a path recorded before
// opening, with no identity yet (ww was killed in between), only when its
// file, in the folder the path named then, is of the kind that source
// makes, was born after r was begun, and
// no other record claims it. A socket file is removed only when no one
// listens on it. With keepCreated, files made by create= stay:
// the container ran and may have written what its user wants to keep.
// What is already gone is no error; the record is removed unless a newer
// one of the same ID and root replaced it meanwhile.
func (s *Store) Clean(r *Record, keepCreated bool) error {
	var errs []error
	for _, f := range r.Files {
		if keepCreated && !f.Socket {
			continue
		}
		if err := s.removeFile(r, f); err != nil {
			errs = append(errs, err)
		}
	}
	if s.replaced(r) {
		return errors.Join(errs...)
	}
	if err := s.Remove(r); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// replaced reports whether r's file now holds another record of its
// container (another create of the ID began one meanwhile), which
// Clean must leave. A file unchanged since this process wrote or read
// it is r; only another is decoded.
func (s *Store) replaced(r *Record) bool {
	name, err := Name(r.ID, r.Root)
	if err != nil {
		return false
	}
	data, err := s.readRaw(name)
	if err != nil || (r.written != nil && bytes.Equal(data, r.written)) {
		return false
	}
	cur, err := s.read(name)
	return err == nil && cur.Begun != r.Begun
}

// removeFile removes f if it is ww's.
func (s *Store) removeFile(r *Record, f File) error {
	dir, name := filepath.Split(f.Path)
	if name == "" {
		return nil
	}
	dfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil // the folder is gone, and with it the file
	}
	defer unix.Close(dfd)
	var stx unix.Statx_t
	if err := unix.Statx(dfd, name, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_TYPE|unix.STATX_INO|unix.STATX_BTIME|unix.STATX_CTIME, &stx); err != nil {
		return nil
	}
	dev := unix.Mkdev(stx.Dev_major, stx.Dev_minor)
	if f.made() {
		if dev != f.Dev || stx.Ino != f.Ino {
			return nil // not the file ww made: it went, and another came
		}
	} else if !sameFolder(dfd, f) || !s.bornOfIntent(r, f, &stx, dev) {
		return nil
	}
	if stx.Mode&unix.S_IFMT == unix.S_IFSOCK && !ownSocket(dfd, name, stx.Ino, r.Pid) {
		return nil // another server listens there
	}
	if err := unix.Unlinkat(dfd, name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("remove %q: %w", f.Path, err)
	}
	return nil
}

// sameFolder reports whether the folder dfd is the one that f's path
// named when the record was begun.
func sameFolder(dfd int, f File) bool {
	var st unix.Stat_t
	return f.DirIno != 0 && unix.Fstat(dfd, &st) == nil && uint64(st.Dev) == f.DirDev && st.Ino == f.DirIno
}

// bornOfIntent tells whether a file found at a path that r intended, with
// no identity recorded, is the one ww made there: the kind the source
// makes, not the file that was at the path when r was begun, born after
// that (a file that was there before is never removed), and not one that
// another record holds as made. Where the file
// system keeps no birth time, the file stays: nothing else tells a file
// born in that moment from one changed then.
func (s *Store) bornOfIntent(r *Record, f File, stx *unix.Statx_t, dev uint64) bool {
	kind := uint16(unix.S_IFREG)
	if f.Socket {
		kind = unix.S_IFSOCK
	}
	if stx.Mode&unix.S_IFMT != kind || stx.Mask&unix.STATX_BTIME == 0 {
		return false
	}
	if (dev == f.PrevDev && stx.Ino == f.PrevIno) || stx.Btime.Sec*1e9+int64(stx.Btime.Nsec) < r.Begun {
		return false
	}
	return !s.claimed(r, dev, stx.Ino)
}

// claimed reports whether a record other than r names the file dev, ino
// as made. An unreadable store claims everything: no file is removed on
// a guess.
func (s *Store) claimed(r *Record, dev, ino uint64) bool {
	names, err := s.names("")
	if err != nil {
		return true
	}
	own, _ := Name(r.ID, r.Root)
	for _, name := range names {
		if name == own {
			continue
		}
		o, err := s.read(name)
		if errors.Is(err, ErrNoRecord) {
			continue
		}
		if err != nil {
			return true
		}
		for _, f := range o.Files {
			if f.made() && f.Dev == dev && f.Ino == ino {
				return true
			}
		}
	}
	return false
}

// ownSocket reports whether the socket file name in the folder dfd, of
// inode ino, is not another server's: a connect to it is refused (the
// container ww made it for is gone, and its socket with it), or the
// listener answering was made by process pid, the ww runtime that made
// the record (a lower runtime it started may outlive it for a moment). A
// file system that reuses freed inodes may give a later server's socket
// the recorded identity: that one answers, from another process. The
// probe connects through an fd of the very file checked. Any other answer
// keeps the file.
func ownSocket(dfd int, name string, ino uint64, pid int) bool {
	p, err := unix.Openat(dfd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(p)
	var st unix.Stat_t
	if unix.Fstat(p, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFSOCK || st.Ino != ino {
		return false
	}
	probe, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(probe)
	err = unix.Connect(probe, &unix.SockaddrUnix{Name: "/proc/self/fd/" + strconv.Itoa(p)})
	if errors.Is(err, unix.ECONNREFUSED) {
		return true
	}
	if err != nil || pid <= 0 {
		return false
	}
	cred, err := unix.GetsockoptUcred(probe, unix.SOL_SOCKET, unix.SO_PEERCRED)
	return err == nil && int(cred.Pid) == pid
}
