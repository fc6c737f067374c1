//go:build unix

package fdmgr

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// setCloexec sets close-on-exec on fd, keeping its other fd flags.
func setCloexec(fd int) error {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err != nil {
		return fmt.Errorf("fd %d: %w", fd, err)
	}
	if flags&unix.FD_CLOEXEC != 0 {
		return nil
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, flags|unix.FD_CLOEXEC); err != nil {
		return fmt.Errorf("fd %d: set close-on-exec: %w", fd, err)
	}
	return nil
}

// fdKind is what an fd refers to, as far as the accessors of Received
// care.
type fdKind struct {
	mode      uint32 // st_mode & S_IFMT
	family    int    // the address family, for a socket (AF_UNSPEC if unknown)
	sotype    int    // SO_TYPE, for a socket
	listening bool   // SO_ACCEPTCONN, for a socket
}

func statFD(fd int) (fdKind, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fdKind{}, fmt.Errorf("fstat: %w", err)
	}
	k := fdKind{mode: uint32(st.Mode) & unix.S_IFMT} // st_mode is 16 bits on the BSDs
	if k.mode != unix.S_IFSOCK {
		return k, nil
	}
	var errs [3]error
	k.family, errs[0] = socketFamily(fd)
	k.sotype, errs[1] = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	accepting, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	k.listening, errs[2] = accepting != 0, err
	if err := errors.Join(errs[:]...); err != nil {
		return fdKind{}, fmt.Errorf("getsockopt: %w", err)
	}
	return k, nil
}

// stream reports whether k is a connection-oriented socket, the kind that
// listens or is connected.
func (k fdKind) stream() bool {
	return k.mode == unix.S_IFSOCK && (k.sotype == unix.SOCK_STREAM || k.sotype == unix.SOCK_SEQPACKET)
}

// String describes k for an error message, after "a ".
func (k fdKind) String() string {
	switch k.mode {
	case unix.S_IFREG:
		return "regular file"
	case unix.S_IFDIR:
		return "directory"
	case unix.S_IFIFO:
		return "FIFO"
	case unix.S_IFCHR:
		return "char device"
	case unix.S_IFBLK:
		return "block device"
	case unix.S_IFLNK:
		return "symlink"
	case unix.S_IFSOCK:
		return k.socketString()
	}
	// eventfd, epoll, timerfd and the like have no file type.
	return "file of no type (an anonymous inode)"
}

func (k fdKind) socketString() string {
	var s string
	switch k.family {
	case unix.AF_INET, unix.AF_INET6:
		s = map[int]string{unix.SOCK_STREAM: "tcp", unix.SOCK_DGRAM: "udp", unix.SOCK_RAW: "raw ip"}[k.sotype]
	case unix.AF_UNIX:
		s = map[int]string{unix.SOCK_STREAM: "unix stream", unix.SOCK_DGRAM: "unix datagram", unix.SOCK_SEQPACKET: "unix seqpacket"}[k.sotype]
	default:
		s = familyName(k.family)
	}
	switch {
	case s == "" && k.family == unix.AF_UNSPEC:
		s = fmt.Sprintf("socket of an unknown family, type %d", k.sotype)
	case s == "":
		s = fmt.Sprintf("socket of family %d, type %d", k.family, k.sotype)
	default:
		s += " socket"
	}
	switch {
	case k.stream() && k.listening:
		return "listening " + s
	case k.stream():
		return "non-listening " + s
	}
	return s
}

// fits reports whether an fd of kind k can be put to use u.
func (u fdUse) fits(k fdKind) bool {
	switch u {
	case useListener:
		return k.stream() && k.listening
	case usePacket:
		return k.mode == unix.S_IFSOCK && k.sotype == unix.SOCK_DGRAM
	case useConn:
		return k.stream() && !k.listening
	}
	return true
}
