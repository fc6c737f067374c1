package fdmgr

import (
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"
)

// SourceKind tells where a named fd comes from.
type SourceKind int

const (
	// SourceFD is an fd that ww already holds: "N" or "fd:N".
	SourceFD SourceKind = iota
	// SourceFile is a file opened by path: "file:PATH[?OPTIONS]".
	SourceFile
	// SourceConnect is a stream socket connected to a listener:
	// "tcp:HOST:PORT" or "unix:PATH", each with an optional "?timeout=".
	SourceConnect
	// SourceListen is a bound socket, listening if it is a stream:
	// "listen:NETWORK:ADDRESS".
	SourceListen
)

// String returns the kind's prefix in a SOURCE, without the colon.
func (k SourceKind) String() string {
	switch k {
	case SourceFD:
		return "fd"
	case SourceFile:
		return "file"
	case SourceConnect:
		return "connect"
	case SourceListen:
		return "listen"
	}
	return "SourceKind(" + strconv.Itoa(int(k)) + ")"
}

// OpenMode is how a SourceFile is opened, as written after "?mode=".
type OpenMode string

// The modes of a SourceFile. None of them truncates; a file is created
// only when the source asks for it with create=PERM.
const (
	OpenRead      OpenMode = "r"  // O_RDONLY, the default
	OpenWrite     OpenMode = "w"  // O_WRONLY, writing from offset 0 over what is there
	OpenReadWrite OpenMode = "rw" // O_RDWR
	OpenAppend    OpenMode = "a"  // O_WRONLY|O_APPEND
)

// DefaultTimeout limits a connect, and the lookup of a host name, when the
// source sets no timeout.
const DefaultTimeout = 10 * time.Second

// Source is a parsed SOURCE of a NAME=SOURCE request. Its fields are
// plain values so that a policy can match them ("listen on tcp port 80",
// "a file under /var/log") and so that two equal sources compare equal.
// Fields that do not apply to the Kind are zero.
type Source struct {
	Kind SourceKind
	// FD is the fd number of a SourceFD.
	FD int
	// Network is the socket's network: "tcp" or "unix" for a
	// SourceConnect; "tcp", "tcp6", "udp", "udp6" or "unix" for a
	// SourceListen.
	Network string
	// Host is the host of a tcp or udp socket as written, without the
	// brackets of an IPv6 literal: an IP address or a host name. An empty
	// Host in a SourceListen means every address.
	Host string
	// Port is the port of a tcp or udp socket; 0 in a SourceListen means
	// a free port chosen by the kernel.
	Port int
	// Path is the path of a SourceFile, or of a unix socket; a unix path
	// that starts with '@' names an abstract socket.
	Path string
	// Mode is how a SourceFile is opened; never empty for one.
	Mode OpenMode
	// Create asks that a SourceFile be created if it does not exist, with
	// permission Perm less the umask.
	Create bool
	// Perm is the permission of a file made by Create, at most 0777.
	Perm uint32
	// Dir asks for a SourceFile that is a directory, opened read-only.
	Dir bool
	// Timeout limits a SourceConnect; zero means DefaultTimeout.
	Timeout time.Duration
	// Text is the source as written.
	Text string
}

// ParseSource parses the SOURCE part of NAME=SOURCE:
//
//	N, fd:N                     a duplicate of ww's fd N
//	file:PATH[?OPTIONS]         a file; OPTIONS are mode=r|w|rw|a,
//	                            create=PERM (octal) and dir=true, joined by '&'
//	unix:PATH[?timeout=D]       a connected unix stream socket
//	tcp:HOST:PORT[?timeout=D]   a connected TCP socket
//	listen:tcp:HOST:PORT        a listening TCP socket; also tcp6 (IPv6
//	                            only), udp and udp6 (bound, not listening)
//	listen:unix:PATH            a listening unix stream socket
//
// An IPv6 literal is written in brackets: tcp:[::1]:5432. An empty HOST
// in listen means every address. The first '?' starts the options, so a
// path that has a '?' cannot be named.
//
// ParseSource checks syntax only: whether an fd is open, a file exists or
// a host name resolves is found out when the fd is prepared.
func ParseSource(text string) (Source, error) {
	if text == "" {
		return Source{}, fmt.Errorf("source is empty")
	}
	kind, rest, ok := strings.Cut(text, ":")
	if !ok {
		return parseFDSource(text, text)
	}
	var s Source
	var err error
	switch kind {
	case "fd":
		return parseFDSource(text, rest)
	case "file":
		s, err = parseFileSource(text, rest)
	case "unix", "tcp":
		s, err = parseConnectSource(text, kind, rest)
	case "listen":
		s, err = parseListenSource(text, rest)
	default:
		return Source{}, fmt.Errorf("source %q is of no known kind", text)
	}
	if err != nil {
		return Source{}, err
	}
	s.Text = text
	return s, nil
}

func parseFDSource(text, num string) (Source, error) {
	if num == "" {
		return Source{}, fmt.Errorf("fd %q is empty", text)
	}
	for i := 0; i < len(num); i++ {
		if !isDigit(num[i]) && !(i == 0 && (num[i] == '-' || num[i] == '+')) {
			return Source{}, fmt.Errorf("fd %q is not a number", num)
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	switch {
	case err != nil && strings.HasPrefix(num, "-"):
		return Source{}, fmt.Errorf("fd %q is negative", num)
	case err != nil || n > math.MaxInt32:
		return Source{}, fmt.Errorf("fd %q is out of range", num)
	case n < 0:
		return Source{}, fmt.Errorf("fd %q is negative", num)
	case num[0] == '+' || num[0] == '-':
		return Source{}, fmt.Errorf("fd %q is not a number", num)
	}
	return Source{Kind: SourceFD, FD: int(n), Text: text}, nil
}

// IsFD reports whether the source is an fd number that ww already holds.
func (s Source) IsFD() bool { return s.Kind == SourceFD }

// String returns the source as written.
func (s Source) String() string { return s.Text }

// Address returns where a socket source points: HOST:PORT (an IPv6
// literal in brackets) for tcp and udp, the path for unix; and the path
// of a SourceFile. It is empty for a SourceFD.
func (s Source) Address() string {
	switch {
	case s.Kind == SourceFile || s.Network == "unix":
		return s.Path
	case s.Kind == SourceConnect || s.Kind == SourceListen:
		return net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	}
	return ""
}
