package fdmgr

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/sys/unix"
)

// listenBacklog is the backlog of a listening socket; the kernel lowers
// it to net.core.somaxconn.
const listenBacklog = unix.SOMAXCONN

// open binds a socket of the source's network, and listens on it if it
// is a stream.
func (listenSource) open(s Source) (int, *made, error) {
	switch s.Network {
	case "unix":
		if s.Beneath != "" && !s.Abstract() {
			return listenUnixBeneath(s)
		}
		return listenUnix(s.Path)
	case "tcp", "tcp6", "udp", "udp6":
		fd, err := listenIP(s)
		return fd, nil, err
	}
	return -1, nil, fmt.Errorf("source %q: unknown kind", s.Text)
}

// listenIP opens a tcp or udp SourceListen. An empty host is every
// address: for tcp and udp the dual-stack [::] (IPV6_V6ONLY off), or
// 0.0.0.0 when the kernel has no IPv6; for tcp6 and udp6 [::] with
// IPV6_V6ONLY on. An IPv6 address under tcp or udp leaves IPV6_V6ONLY off,
// as Go's net.Listen does. A host name is looked up (IPv6 only for tcp6
// and udp6) and its first address used.
func listenIP(s Source) (int, error) {
	only6 := strings.HasSuffix(s.Network, "6")
	stream := strings.HasPrefix(s.Network, "tcp")
	ip := netip.IPv6Unspecified()
	if s.Host != "" {
		family := "ip"
		if only6 {
			family = "ip6"
		}
		ips, err := resolve(s.Host, family, DefaultTimeout)
		if err != nil {
			return -1, err
		}
		ip = ips[0]
	}
	fd, err := bindIP(ip, s.Port, stream, only6)
	if s.Host == "" && !only6 && errors.Is(err, unix.EAFNOSUPPORT) {
		fd, err = bindIP(netip.IPv4Unspecified(), s.Port, stream, false)
	}
	return fd, err
}

// bindIP binds a new socket to ip:port, and listens on it if it is a
// stream. SO_REUSEADDR lets a restarted server bind while connections of
// its previous run linger in TIME_WAIT; it is not set on udp, where it
// would let two sockets share the port.
func bindIP(ip netip.Addr, port int, stream, only6 bool) (fd int, err error) {
	family, sa := sockaddr(ip, port)
	typ := unix.SOCK_DGRAM
	if stream {
		typ = unix.SOCK_STREAM
	}
	if fd, err = newSocket(family, typ); err != nil {
		return -1, err
	}
	defer closeOnError(&fd, &err)
	if family == unix.AF_INET6 {
		// Set either way: the default follows net.ipv6.bindv6only.
		if err = setsockopt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, "IPV6_V6ONLY", only6); err != nil {
			return fd, err
		}
	}
	if stream {
		if err = setsockopt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, "SO_REUSEADDR", true); err != nil {
			return fd, err
		}
	}
	if err = unix.Bind(fd, sa); err != nil {
		return fd, fmt.Errorf("bind %s: %w", netip.AddrPortFrom(ip, uint16(port)), err)
	}
	if stream {
		if err = unix.Listen(fd, listenBacklog); err != nil {
			return fd, fmt.Errorf("listen: %w", err)
		}
	}
	return fd, nil
}

func setsockopt(fd, level, opt int, name string, on bool) error {
	v := 0
	if on {
		v = 1
	}
	if err := unix.SetsockoptInt(fd, level, opt, v); err != nil {
		return fmt.Errorf("setsockopt %s: %w", name, err)
	}
	return nil
}

// listenUnix binds a unix stream socket at path and listens on it. A
// socket file left at path by a server that is gone (a connect to it is
// refused) is replaced; a live socket, or a file of another type, is an
// error.
func listenUnix(path string) (fd int, created *made, err error) {
	if fd, err = newSocket(unix.AF_UNIX, unix.SOCK_STREAM); err != nil {
		return -1, nil, err
	}
	defer closeOnError(&fd, &err)
	sa := &unix.SockaddrUnix{Name: path}
	err = unix.Bind(fd, sa)
	if errors.Is(err, unix.EADDRINUSE) && !strings.HasPrefix(path, "@") {
		if err = removeStale(path); err != nil {
			return fd, nil, err
		}
		err = unix.Bind(fd, sa)
	}
	if err != nil {
		return fd, nil, fmt.Errorf("bind: %w", err)
	}
	if !strings.HasPrefix(path, "@") {
		created = madeAt(path)
	}
	if err = unix.Listen(fd, listenBacklog); err != nil {
		created.remove()
		return fd, nil, fmt.Errorf("listen: %w", err)
	}
	return fd, created, nil
}

// removeStale removes the socket file at path if no one listens on it.
// Between the probe and the removal another server could bind there; two
// servers started at once at one path are a mistake either way.
func removeStale(path string) error {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return fmt.Errorf("bind: %w (lstat: %w)", unix.EADDRINUSE, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return fmt.Errorf("bind: %w: a file that is not a socket is there", unix.EADDRINUSE)
	}
	if err := probeStale(path); err != nil {
		return err
	}
	if err := unix.Unlink(path); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("remove stale socket: %w", err)
	}
	return nil
}

// probeStale returns nil if a connect to the unix socket at addr is
// refused: no one listens there.
func probeStale(addr string) error {
	probe, err := newSocket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK)
	if err != nil {
		return err
	}
	defer closeFD(probe)
	err = unix.Connect(probe, &unix.SockaddrUnix{Name: addr})
	switch {
	case err == nil || errors.Is(err, unix.EAGAIN):
		return fmt.Errorf("bind: %w: a live socket listens there", unix.EADDRINUSE)
	case !errors.Is(err, unix.ECONNREFUSED):
		return fmt.Errorf("bind: %w (probe: %w)", unix.EADDRINUSE, err)
	}
	return nil
}
