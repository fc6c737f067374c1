//go:build unix && !linux

package fdmgr

import "golang.org/x/sys/unix"

// socketFamily returns the address family of the socket fd, as its address
// tells it: SO_DOMAIN is not on every system. The family only ever goes
// into a message (the accessors of Received decide by type and listening
// state), so a socket whose address says nothing is of family AF_UNSPEC
// rather than an error.
func socketFamily(fd int) (int, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return unix.AF_UNSPEC, nil
	}
	switch sa.(type) {
	case *unix.SockaddrInet4:
		return unix.AF_INET, nil
	case *unix.SockaddrInet6:
		return unix.AF_INET6, nil
	case *unix.SockaddrUnix:
		return unix.AF_UNIX, nil
	}
	return unix.AF_UNSPEC, nil
}

// familyName names, for a message, a socket family that only this system
// has: none that a program is likely to be handed.
func familyName(int) string { return "" }
