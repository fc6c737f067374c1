package fdmgr

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// maxUnixRetry is the longest pause between two tries to connect to a
// unix socket whose listener's backlog is full.
const maxUnixRetry = 50 * time.Millisecond

func (s Source) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultTimeout
}

// newSocket returns a close-on-exec socket numbered FirstFD or more.
func newSocket(family, typ int) (int, error) {
	fd, err := unix.Socket(family, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	return aboveStdio(fd)
}

// sockaddr returns the family and address of ip:port.
func sockaddr(ip netip.Addr, port int) (int, unix.Sockaddr) {
	if ip.Is4() {
		return unix.AF_INET, &unix.SockaddrInet4{Port: port, Addr: ip.As4()}
	}
	return unix.AF_INET6, &unix.SockaddrInet6{Port: port, Addr: ip.As16()}
}

// resolve returns the addresses of host, of the family network asks for
// ("ip" or "ip6"). An IP literal is returned as it is, without a lookup;
// a name is looked up through the Go resolver, which may start the Go
// runtime's poller: a caller that must not have one uses IP literals.
func resolve(host, network string, timeout time.Duration) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, network, host)
	if err != nil {
		return nil, err
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("lookup %s: no %s address", host, network)
	}
	if network == "ip" {
		// The resolver may return an IPv4 address as ::ffff:a.b.c.d; it is
		// reached through an AF_INET socket.
		for i := range ips {
			ips[i] = ips[i].Unmap()
		}
	}
	return ips, nil
}

// open connects to the socket at the source's path.
func (unixSource) open(s Source) (fd int, _ *made, err error) {
	if s.Beneath != "" && !s.Abstract() {
		fd, err = connectUnixBeneath(s)
	} else {
		fd, err = connectUnix(s.Path, s.timeout())
	}
	return fd, nil, err
}

// open connects to the source's host and port.
func (tcpSource) open(s Source) (int, *made, error) {
	fd, err := connectTCP(s)
	return fd, nil, err
}

// connectTCP connects to each address of the host in turn, until one
// accepts, all within the source's timeout.
func connectTCP(s Source) (int, error) {
	timeout := s.timeout()
	deadline := time.Now().Add(timeout)
	ips, err := resolve(s.Host, "ip", timeout)
	if err != nil {
		return -1, err
	}
	var first error
	for _, ip := range ips {
		family, sa := sockaddr(ip, s.Port)
		fd, err := connectStream(family, sa, deadline, timeout)
		if err == nil {
			return fd, nil
		}
		if first == nil {
			first = fmt.Errorf("connect %s: %w", netip.AddrPortFrom(ip, uint16(s.Port)), err)
		}
	}
	switch len(ips) {
	case 1:
		return -1, first
	case 2:
		return -1, fmt.Errorf("%w (its other address failed too)", first)
	}
	return -1, fmt.Errorf("%w (its %d other addresses failed too)", first, len(ips)-1)
}

// connectStream connects a new stream socket to sa without blocking, and
// waits with poll(2) until deadline.
func connectStream(family int, sa unix.Sockaddr, deadline time.Time, timeout time.Duration) (fd int, err error) {
	fd, err = newSocket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK)
	if err != nil {
		return -1, err
	}
	defer closeOnError(&fd, &err)
	err = unix.Connect(fd, sa)
	if errors.Is(err, unix.EINPROGRESS) || errors.Is(err, unix.EINTR) {
		err = waitConnected(fd, deadline, timeout)
	}
	if err != nil {
		return fd, err
	}
	return fd, setBlocking(fd)
}

// waitConnected waits for a non-blocking connect on fd to finish, and
// returns its outcome.
func waitConnected(fd int, deadline time.Time, timeout time.Duration) error {
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("%w after %v", unix.ETIMEDOUT, timeout)
		}
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
		n, err := unix.Poll(pfd, int((left+time.Millisecond-1)/time.Millisecond))
		if errors.Is(err, unix.EINTR) || n == 0 && err == nil {
			continue
		}
		if err != nil {
			return fmt.Errorf("poll: %w", err)
		}
		soerr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if err != nil {
			return fmt.Errorf("getsockopt SO_ERROR: %w", err)
		}
		if soerr != 0 {
			return unix.Errno(soerr)
		}
		return nil
	}
}

// connectUnix connects to the unix stream socket at path. A unix connect
// never waits in progress: when the listener's backlog is full it fails
// with EAGAIN at once, so it is tried again, with growing pauses, until
// the timeout.
func connectUnix(path string, timeout time.Duration) (fd int, err error) {
	deadline := time.Now().Add(timeout)
	fd, err = newSocket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK)
	if err != nil {
		return -1, err
	}
	defer closeOnError(&fd, &err)
	sa := &unix.SockaddrUnix{Name: path}
	pause := time.Millisecond
	for {
		err = unix.Connect(fd, sa)
		if !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EINTR) {
			break
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fd, fmt.Errorf("connect: %w after %v: the listener's backlog stays full", unix.ETIMEDOUT, timeout)
		}
		sleep(min(pause, left))
		pause = min(2*pause, maxUnixRetry)
	}
	if err != nil {
		return fd, fmt.Errorf("connect: %w", err)
	}
	return fd, setBlocking(fd)
}

// sleep pauses the calling thread with nanosleep(2). time.Sleep would do,
// but any Go timer starts the runtime's poller, and its epoll fd.
func sleep(d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	for {
		var left unix.Timespec
		err := unix.Nanosleep(&ts, &left)
		if !errors.Is(err, unix.EINTR) {
			return
		}
		ts = left
	}
}
