package main

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/fdmgr"
)

// The checks of a socket taken from a pod's sandbox, and the search for
// it among the sandbox's fds.

// sandboxFDOf finds the fd of process pid that is socket inode, reading
// /proc/PID/fd with plain system calls.
func sandboxFDOf(pid int, inode uint64) (int, error) {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	dfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	defer unix.Close(dfd)
	want := "socket:[" + strconv.FormatUint(inode, 10) + "]"
	buf := make([]byte, 8<<10)
	for {
		n, err := unix.ReadDirent(dfd, buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || n <= 0 {
			return -1, fmt.Errorf("no fd of process %d is %s", pid, want)
		}
		_, _, names := unix.ParseDirent(buf[:n], -1, nil)
		for _, name := range names {
			if target, err := readlinkRaw(dir + "/" + name); err == nil && target == want {
				return strconv.Atoi(name)
			}
		}
	}
}

// readlinkRaw reads a symbolic link of at most 256 bytes, enough for
// what /proc/PID/fd names a socket.
func readlinkRaw(path string) (string, error) {
	buf := make([]byte, 256)
	n, err := unix.Readlink(path, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// checkHeld checks that fd is the socket h names (its inode) and what s
// asks for: its family, its type, listening if a stream, bound where s
// says.
func checkHeld(fd int, h heldListener, s fdmgr.Source) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK || st.Ino != h.Inode {
		return fmt.Errorf("not socket %d, which the record names", h.Inode)
	}
	domain, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
	if err != nil {
		return err
	}
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return err
	}
	stream := s.Network == "unix" || strings.HasPrefix(s.Network, "tcp")
	wantType := unix.SOCK_DGRAM
	if stream {
		wantType = unix.SOCK_STREAM
	}
	if typ != wantType {
		return fmt.Errorf("socket type %d, want %d", typ, wantType)
	}
	if stream {
		if on, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err != nil || on != 1 {
			return fmt.Errorf("not listening (%v)", err)
		}
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return err
	}
	return checkBound(domain, sa, s)
}

// checkBound checks that a socket of family domain bound at sa is where
// s asks: the same unix path, or the same port (unless s leaves it to the
// kernel) and address (every address when s names none).
func checkBound(domain int, sa unix.Sockaddr, s fdmgr.Source) error {
	if s.Network == "unix" {
		u, ok := sa.(*unix.SockaddrUnix)
		if domain != unix.AF_UNIX || !ok || u.Name != s.Path {
			return fmt.Errorf("not the unix socket %q", s.Path)
		}
		return nil
	}
	var addr netip.AddrPort
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		addr = netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		addr = netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))
	default:
		return errors.New("not an IP socket")
	}
	if s.Port != 0 && int(addr.Port()) != s.Port {
		return fmt.Errorf("bound at %s, not port %d", addr, s.Port)
	}
	if strings.HasSuffix(s.Network, "6") && domain != unix.AF_INET6 {
		return fmt.Errorf("bound at %s, not IPv6", addr)
	}
	want := netip.IPv6Unspecified()
	if s.Host != "" {
		var err error
		if want, err = netip.ParseAddr(s.Host); err != nil {
			return err
		}
	}
	got := addr.Addr()
	if got.Unmap() == want.Unmap() || (s.Host == "" && got.IsUnspecified()) {
		return nil
	}
	return fmt.Errorf("bound at %s, not %s", addr, want)
}
