package fdmgr

import (
	"fmt"
	"time"
)

// The kinds of a stream socket connected to a listener, each with an
// optional "?timeout=D".
const (
	// SourceUnix is a unix stream socket: "unix:PATH".
	SourceUnix SourceKind = "unix"
	// SourceTCP is a TCP socket: "tcp:HOST:PORT".
	SourceTCP SourceKind = "tcp"
)

// DefaultTimeout limits a connect, and the lookup of a host name, when the
// source sets no timeout.
const DefaultTimeout = 10 * time.Second

// maxTimeout is the longest timeout= a connect takes: longer waits are a
// mistake, and deadlines this far off stay clear of overflow.
const maxTimeout = time.Hour

// unixSource is the kind SourceUnix.
type unixSource struct{}

// parse parses PATH[?timeout=D].
func (unixSource) parse(text, rest string) (Source, error) {
	path, timeout, err := splitTimeout(text, rest, "unix:")
	if err != nil {
		return Source{}, err
	}
	s := Source{Network: "unix", Path: path, Timeout: timeout}
	return s, checkUnixPath(text, path)
}

// tcpSource is the kind SourceTCP.
type tcpSource struct{}

// parse parses HOST:PORT[?timeout=D].
func (tcpSource) parse(text, rest string) (Source, error) {
	addr, timeout, err := splitTimeout(text, rest, "tcp:")
	if err != nil {
		return Source{}, err
	}
	if addr == "" {
		return Source{}, fmt.Errorf("source %q has no address", text)
	}
	s := Source{Network: "tcp", Timeout: timeout}
	if s.Host, s.Port, err = parseHostPort(text, addr); err != nil {
		return Source{}, err
	}
	switch {
	case s.Host == "":
		return Source{}, fmt.Errorf("source %q has no host", text)
	case s.Port == 0:
		return Source{}, fmt.Errorf("port 0 of %q can be listened on, not connected to", text)
	}
	return s, nil
}

// splitTimeout cuts the address from rest and parses its ?timeout=D.
func splitTimeout(text, rest, kind string) (string, time.Duration, error) {
	addr, opts, err := splitOptions(text, rest, kind, "timeout")
	if err != nil {
		return "", 0, err
	}
	t, ok := opts["timeout"]
	if !ok {
		return addr, 0, nil
	}
	d, err := time.ParseDuration(t)
	if err != nil || d <= 0 {
		return "", 0, fmt.Errorf("timeout %q is not a positive duration such as 5s", t)
	}
	if d > maxTimeout {
		return "", 0, fmt.Errorf("timeout %q is longer than an hour", t)
	}
	return addr, d, nil
}
