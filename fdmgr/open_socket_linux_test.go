package fdmgr

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func sockopt(t *testing.T, fd, level, opt int) int {
	t.Helper()
	v, err := unix.GetsockoptInt(fd, level, opt)
	if err != nil {
		t.Fatalf("getsockopt fd %d: %v", fd, err)
	}
	return v
}

// checkSocket checks a socket's family, type and whether it listens.
func checkSocket(t *testing.T, fd, family, typ int, listening bool) {
	t.Helper()
	if got := sockopt(t, fd, unix.SOL_SOCKET, unix.SO_DOMAIN); got != family {
		t.Errorf("fd %d: SO_DOMAIN %d, want %d", fd, got, family)
	}
	if got := sockopt(t, fd, unix.SOL_SOCKET, unix.SO_TYPE); got != typ {
		t.Errorf("fd %d: SO_TYPE %d, want %d", fd, got, typ)
	}
	if got := sockopt(t, fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN) == 1; got != listening {
		t.Errorf("fd %d: SO_ACCEPTCONN %v, want %v", fd, got, listening)
	}
}

// sockPort returns the port a socket is bound to.
func sockPort(t *testing.T, fd int) string {
	t.Helper()
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return strconv.Itoa(sa.Port)
	case *unix.SockaddrInet6:
		return strconv.Itoa(sa.Port)
	}
	t.Fatalf("fd %d is bound to %#v", fd, sa)
	return ""
}

// acceptPeer accepts on listener and checks that the accepted socket's
// peer is conn: conn is connected to this very listener.
func acceptPeer(t *testing.T, listener, conn int) {
	t.Helper()
	nfd, _, err := unix.Accept4(listener, unix.SOCK_CLOEXEC)
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	defer closeFD(nfd)
	peer, err := unix.Getpeername(nfd)
	if err != nil {
		t.Fatal(err)
	}
	local, err := unix.Getsockname(conn)
	if err != nil {
		t.Fatal(err)
	}
	if p, l := sockaddrString(peer), sockaddrString(local); p != l {
		t.Errorf("the listener's peer is %s, the connected socket is %s", p, l)
	}
}

// sockaddrString names an address, an IPv4-mapped IPv6 address as IPv4.
func sockaddrString(sa unix.Sockaddr) string {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)).String()
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port)).String()
	case *unix.SockaddrUnix:
		return "unix:" + sa.Name
	}
	return fmt.Sprintf("%#v", sa)
}

// needIPv6 skips the test when this machine cannot bind [::1].
func needIPv6(t *testing.T) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err == nil {
		defer closeFD(fd)
		err = unix.Bind(fd, &unix.SockaddrInet6{Addr: [16]byte{15: 1}})
	}
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
}

func TestOpenListenTCP(t *testing.T) {
	l := openSource(t, "listen:tcp:127.0.0.1:0")
	checkSocket(t, l, unix.AF_INET, unix.SOCK_STREAM, true)
	port := sockPort(t, l)
	if port == "0" {
		t.Fatal("port 0 stayed 0")
	}
	if sockopt(t, l, unix.SOL_SOCKET, unix.SO_REUSEADDR) == 0 {
		t.Error("SO_REUSEADDR is off")
	}
	c := openSource(t, "tcp:127.0.0.1:"+port)
	checkSocket(t, c, unix.AF_INET, unix.SOCK_STREAM, false)
	acceptPeer(t, l, c)

	err := openSourceErr(t, "listen:tcp:127.0.0.1:"+port, "bind 127.0.0.1:"+port+": address already in use")
	if !errors.Is(err, unix.EADDRINUSE) {
		t.Errorf("error %v is not EADDRINUSE", err)
	}
}

// TestOpenListenEveryAddress checks that an empty host is dual-stack for
// tcp (reached over IPv4 too) and IPv6 only for tcp6.
func TestOpenListenEveryAddress(t *testing.T) {
	needIPv6(t)
	l := openSource(t, "listen:tcp::0")
	checkSocket(t, l, unix.AF_INET6, unix.SOCK_STREAM, true)
	if sockopt(t, l, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY) != 0 {
		t.Error("listen:tcp::0 is IPv6 only")
	}
	acceptPeer(t, l, openSource(t, "tcp:127.0.0.1:"+sockPort(t, l)))
	acceptPeer(t, l, openSource(t, "tcp:[::1]:"+sockPort(t, l)))

	l6 := openSource(t, "listen:tcp6::0")
	checkSocket(t, l6, unix.AF_INET6, unix.SOCK_STREAM, true)
	if sockopt(t, l6, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY) != 1 {
		t.Error("listen:tcp6::0 is not IPv6 only")
	}
	port := sockPort(t, l6)
	openSourceErr(t, "tcp:127.0.0.1:"+port+"?timeout=5s", "connect 127.0.0.1:"+port+": connection refused")
	acceptPeer(t, l6, openSource(t, "tcp:[::1]:"+port))
}

func TestOpenIPv6Loopback(t *testing.T) {
	needIPv6(t)
	l := openSource(t, "listen:tcp:[::1]:0")
	checkSocket(t, l, unix.AF_INET6, unix.SOCK_STREAM, true)
	acceptPeer(t, l, openSource(t, "tcp:[::1]:"+sockPort(t, l)))

	u := openSource(t, "listen:udp6:[::1]:0")
	checkSocket(t, u, unix.AF_INET6, unix.SOCK_DGRAM, false)
	if sockPort(t, u) == "0" {
		t.Error("udp6 port 0 stayed 0")
	}
}

func TestOpenListenUDP(t *testing.T) {
	u := openSource(t, "listen:udp:127.0.0.1:0")
	checkSocket(t, u, unix.AF_INET, unix.SOCK_DGRAM, false)
	port := sockPort(t, u)
	if port == "0" {
		t.Fatal("port 0 stayed 0")
	}
	if sockopt(t, u, unix.SOL_SOCKET, unix.SO_REUSEADDR) != 0 {
		t.Error("SO_REUSEADDR is on for udp")
	}
	c, err := net.Dial("udp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	if got := readFD(t, u, 64); got != "ping" {
		t.Errorf("received %q", got)
	}
}

// TestOpenHostName checks that host names are looked up, for listen and
// for connect.
func TestOpenHostName(t *testing.T) {
	if _, err := net.LookupHost("localhost"); err != nil {
		t.Skipf("localhost does not resolve here: %v", err)
	}
	l := openSource(t, "listen:tcp:localhost:0")
	acceptPeer(t, l, openSource(t, "tcp:localhost:"+sockPort(t, l)))
	_, err := openWithin(t, "tcp:no-such-host.invalid:80?timeout=5s", 10*time.Second)
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Errorf("connect to a host that does not exist: %v, want a DNS not-found error", err)
	}
}

func TestOpenConnectRefused(t *testing.T) {
	l := openSource(t, "listen:tcp:127.0.0.1:0")
	port := sockPort(t, l)
	closeFD(l) // the port is now closed
	err := openSourceErr(t, "tcp:127.0.0.1:"+port, "connect 127.0.0.1:"+port+": connection refused")
	if !errors.Is(err, unix.ECONNREFUSED) {
		t.Errorf("error %v is not ECONNREFUSED", err)
	}
}

func TestOpenUnix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s")
	l := openSource(t, "listen:unix:"+path)
	checkSocket(t, l, unix.AF_UNIX, unix.SOCK_STREAM, true)
	c := openSource(t, "unix:"+path)
	checkSocket(t, c, unix.AF_UNIX, unix.SOCK_STREAM, false)
	if peer, err := unix.Getpeername(c); err != nil || peer.(*unix.SockaddrUnix).Name != path {
		t.Errorf("peer of unix:%s is %#v, %v", path, peer, err)
	}
	nfd, _, err := unix.Accept4(l, unix.SOCK_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFD(nfd)
	writeFD(t, c, "hello")
	if got := readFD(t, nfd, 64); got != "hello" {
		t.Errorf("the listener's side read %q", got)
	}

	dir := t.TempDir()
	openSourceErr(t, "unix:"+filepath.Join(dir, "missing"), "connect: no such file or directory")
	openSourceErr(t, "listen:unix:"+filepath.Join(dir, "no", "s"), "bind: no such file or directory")
}

func TestOpenUnixAbstract(t *testing.T) {
	name := fmt.Sprintf("@ww-fdmgr-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	l := openSource(t, "listen:unix:"+name)
	checkSocket(t, l, unix.AF_UNIX, unix.SOCK_STREAM, true)
	acceptPeer(t, l, openSource(t, "unix:"+name))
	openSourceErr(t, "listen:unix:"+name, "bind: address already in use")
}

// staleSocket leaves a socket file at path with no one listening.
func staleSocket(t *testing.T, path string) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFD(fd)
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 1); err != nil {
		t.Fatal(err)
	}
}

func TestOpenListenUnixInTheWay(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "stale")
	staleSocket(t, stale)
	openSourceErr(t, "unix:"+stale, "connect: connection refused")
	l := openSource(t, "listen:unix:"+stale)
	acceptPeer(t, l, openSource(t, "unix:"+stale))

	// l now lives at stale: a second listen must leave it alone.
	var before, after unix.Stat_t
	if err := unix.Stat(stale, &before); err != nil {
		t.Fatal(err)
	}
	openSourceErr(t, "listen:unix:"+stale, "bind: address already in use: a live socket listens there")
	if err := unix.Stat(stale, &after); err != nil || after.Ino != before.Ino {
		t.Fatalf("the live socket's file was replaced (%v)", err)
	}
	acceptPeer(t, l, openSource(t, "unix:"+stale))

	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	openSourceErr(t, "listen:unix:"+file, "bind: address already in use: a file that is not a socket is there")
	checkContent(t, file, "keep")
	openSourceErr(t, "listen:unix:"+dir, "bind: address already in use: a file that is not a socket is there")
}
