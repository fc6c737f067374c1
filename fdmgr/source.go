package fdmgr

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// SourceKind names a kind of SOURCE by the prefix that starts it, without
// the colon: "file" for file:PATH. Each kind is one row of a table, which
// SourceKinds lists, and lives in its own file.
type SourceKind string

// String returns the kind's prefix, without the colon.
func (k SourceKind) String() string { return string(k) }

// Source is a parsed SOURCE of a NAME=SOURCE request. Its fields are
// plain values so that a policy can match them ("listen on tcp port 80",
// "a file under /var/log") and so that two equal sources compare equal.
// Fields that do not apply to the Kind are zero.
type Source struct {
	Kind SourceKind
	// FD is the fd number of a SourceFD.
	FD int
	// Network is the socket's network: "tcp" for a SourceTCP, "unix" for
	// a SourceUnix; "tcp", "tcp6", "udp", "udp6" or "unix" for a
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
	// Timeout limits the connect of a SourceTCP or SourceUnix; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// Beneath, when set, confines Path to a folder: it is an absolute,
	// clean path, Path must lie beneath it as written, and Path is
	// resolved from the folder without ever leaving it (no "..",
	// symbolic link or /proc magic link leads out), so that whoever can
	// write inside the folder cannot make the open reach anything outside
	// it. A device node is refused unless AllowDevice is set. Beneath
	// applies to a SourceFile, a SourceUnix and a listen:unix SourceListen;
	// an abstract socket (@name) has no path and ignores it. ParseSource
	// never sets it: a caller that confines a source (a node policy) sets
	// it in code and adds the request with FDManager.AddSource.
	Beneath string
	// AllowDevice lets a source confined by Beneath open a character or
	// block device. Without Beneath it means nothing: an unconfined
	// file: source opens a device as it opens any file.
	AllowDevice bool
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
	return sourceKinds.parse(text)
}

// parse parses text with the parser of the row its prefix names.
func (t kindTable) parse(text string) (Source, error) {
	if text == "" {
		return Source{}, fmt.Errorf("source is empty")
	}
	prefix, rest, ok := strings.Cut(text, ":")
	if !ok {
		// A SOURCE without a prefix is an fd number: N is short for fd:N.
		prefix, rest = string(SourceFD), text
	}
	row, ok := t.lookup(SourceKind(prefix))
	if !ok {
		return Source{}, fmt.Errorf("source %q is of no known kind", text)
	}
	s, err := row.impl.parse(text, rest)
	if err != nil {
		return Source{}, err
	}
	s.Kind, s.Text = row.kind, text
	return s, nil
}

// IsFD reports whether the source is an fd number that ww already holds.
func (s Source) IsFD() bool { return s.Kind == SourceFD }

// Abstract reports whether the source is a unix socket in the abstract
// namespace ("@NAME"), which has a name but no path.
func (s Source) Abstract() bool {
	return s.Network == "unix" && strings.HasPrefix(s.Path, "@")
}

// String returns the source as written.
func (s Source) String() string { return s.Text }

// Address returns where a source points: the path of a file or of a unix
// socket, HOST:PORT (an IPv6 literal in brackets) of a tcp or udp socket.
// It is empty for a SourceFD.
func (s Source) Address() string {
	switch {
	case s.Path != "":
		return s.Path
	case s.Network != "":
		return net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	}
	return ""
}
