package fdmgr

import "golang.org/x/sys/unix"

// socketFamily returns the address family of the socket fd.
func socketFamily(fd int) (int, error) {
	return unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
}

// familyName names, for a message, a socket family that only Linux has.
func familyName(family int) string {
	if family == unix.AF_NETLINK {
		return "netlink"
	}
	return ""
}
