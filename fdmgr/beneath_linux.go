package fdmgr

// A source confined to a folder (Source.Beneath) is resolved from an fd of
// the folder by the kernel, with openat2(2):
//
//   - RESOLVE_BENEATH refuses, with EXDEV, any ".." or symbolic link that
//     would lead above the folder, and every absolute symbolic link; a
//     rename that races a ".." is caught too (EAGAIN, tried again).
//   - RESOLVE_NO_MAGICLINKS refuses, with ELOOP, the links of /proc that
//     are not paths but fds (/proc/PID/root, /proc/PID/fd/N, …), through
//     which a folder holding a view of /proc reaches anything. Kernels up
//     to 6.18 at least refuse them under RESOLVE_BENEATH alone too (with
//     EXDEV: "not currently safe for scoped lookups", says namei.c); the
//     flag says what is meant, whatever a later kernel makes safe.
//   - RESOLVE_NO_XDEV is not set: crossing a mount point downwards stays
//     beneath the folder, and a mount inside it is made by someone root
//     in ww's mount namespace (an administrator, or a privileged pod with
//     bidirectional propagation, which owns the node anyway), while a
//     per-pod folder bind-mounted beneath an allowed one is a plain,
//     legitimate layout.
//
// Where openat2 is missing (Linux before 5.6, or a seccomp filter that
// answers ENOSYS), walkBeneath resolves one element at a time with
// openat(2) and O_NOFOLLOW, and refuses every ".." and symbolic link:
// stricter than openat2, which follows a link that stays inside.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// resolveBeneath is how a confined path is resolved.
const resolveBeneath = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS

// maxRenameRaces is how often an openat2 that a rename raced (EAGAIN) is
// tried before giving up: a race a few times in a row is an attack.
const maxRenameRaces = 16

// escapeError says that a path would have left the folder it is confined
// to. It is unix.EXDEV, openat2's word for it.
type escapeError struct{ folder string }

func (e *escapeError) Error() string { return "escapes " + e.folder }

func (*escapeError) Unwrap() error { return unix.EXDEV }

// openFolder opens folder for resolving paths beneath it: an O_PATH fd,
// which reads nothing and which nothing but *at calls uses. The folder's
// own path is the caller's (an administrator's) and is resolved as
// written, symbolic links and all.
func openFolder(folder string) (int, error) {
	fd, err := retryEINTR(func() (int, error) {
		return unix.Open(folder, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	})
	if err != nil {
		return -1, fmt.Errorf("open folder %s: %w", folder, err)
	}
	return fd, nil
}

// openBeneath opens rel, relative to dir, the folder fd of folder, as
// openat(2) would with flags and mode, without ever leaving the folder.
// flags with O_PATH may hold only O_DIRECTORY and O_CLOEXEC besides. A
// path that leads out is an *escapeError; a /proc magic link, ELOOP.
func openBeneath(dir int, folder, rel string, flags int, mode uint32) (int, error) {
	fd, err := openat2Beneath(dir, rel, flags, mode)
	switch {
	case errors.Is(err, unix.ENOSYS):
		fd, err = walkBeneath(dir, rel, flags, mode)
	case errors.Is(err, unix.ELOOP):
		err = fmt.Errorf("%w (a loop, or a /proc magic link, which is never followed beneath %s)", err, folder)
	}
	if errors.Is(err, unix.EXDEV) {
		return -1, &escapeError{folder}
	}
	return fd, err
}

func openat2Beneath(dir int, rel string, flags int, mode uint32) (int, error) {
	how := unix.OpenHow{Flags: uint64(flags), Resolve: resolveBeneath}
	if flags&unix.O_CREAT != 0 {
		how.Mode = uint64(mode) // openat2 refuses a mode without O_CREAT
	}
	for range maxRenameRaces {
		fd, err := retryEINTR(func() (int, error) { return unix.Openat2(dir, rel, &how) })
		if !errors.Is(err, unix.EAGAIN) {
			return fd, err
		}
	}
	return -1, fmt.Errorf("%w: renames raced the lookup %d times", unix.EAGAIN, maxRenameRaces)
}

// walkBeneath is openat2Beneath for kernels without openat2: it opens
// each element of rel with O_PATH|O_NOFOLLOW from the one before, and
// refuses "..", which could climb out, and every symbolic link, which
// could point out (magic links are symbolic links to lstat). Only the
// last element is opened with flags, and with O_NOFOLLOW, so that it
// is the file the walk reached.
func walkBeneath(dir int, rel string, flags int, mode uint32) (fd int, err error) {
	var elems []string
	for _, e := range strings.Split(rel, "/") {
		switch e {
		case "", ".":
		case "..":
			return -1, unix.EXDEV
		default:
			elems = append(elems, e)
		}
	}
	if strings.HasSuffix(rel, "/") {
		if flags&unix.O_CREAT != 0 {
			return -1, unix.EISDIR
		}
		flags |= unix.O_DIRECTORY
	}
	if len(elems) == 0 {
		elems = []string{"."}
	}
	cur := dir
	defer func() {
		if cur != dir && cur != fd {
			closeFD(cur)
		}
	}()
	for i, e := range elems {
		last := i == len(elems)-1
		if last && flags&unix.O_PATH == 0 {
			fd, err = retryEINTR(func() (int, error) { return unix.Openat(cur, e, flags|unix.O_NOFOLLOW, mode) })
			if errors.Is(err, unix.ELOOP) {
				return -1, symlinkRefused(e)
			}
			return fd, err
		}
		next, err := retryEINTR(func() (int, error) {
			return unix.Openat(cur, e, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		})
		if err != nil {
			return -1, err
		}
		if cur != dir {
			closeFD(cur)
		}
		cur = next
		var st unix.Stat_t
		if err := unix.Fstat(cur, &st); err != nil {
			return -1, fmt.Errorf("fstat: %w", err)
		}
		switch {
		case st.Mode&unix.S_IFMT == unix.S_IFLNK:
			return -1, symlinkRefused(e)
		case st.Mode&unix.S_IFMT != unix.S_IFDIR && (!last || flags&unix.O_DIRECTORY != 0):
			return -1, unix.ENOTDIR
		}
	}
	fd = cur
	return fd, nil
}

// symlinkRefused is walkBeneath's error for the symbolic link at name.
func symlinkRefused(name string) error {
	return fmt.Errorf("%w: %q is a symbolic link, which is not followed beneath a folder on a kernel without openat2", unix.ELOOP, name)
}

// procFD is the path through which this process reaches what its fd
// refers to: opening it opens that very file, connecting to it connects
// to that very socket, whatever has been renamed or swapped in at the
// path since. The fd table is the process's, shared by every thread.
func procFD(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

// fileType names the type of a file from its st_mode, after "a ".
func fileType(mode uint32) string {
	if mode&unix.S_IFMT == unix.S_IFSOCK {
		return "socket"
	}
	return fdKind{mode: mode & unix.S_IFMT}.String()
}

// isDevice reports whether mode is that of a device node.
func isDevice(mode uint32) bool {
	return mode&unix.S_IFMT == unix.S_IFCHR || mode&unix.S_IFMT == unix.S_IFBLK
}
