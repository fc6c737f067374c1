package fdmgr

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxUnixPath is the longest unix socket path: sun_path holds 108 bytes,
// the last of them the terminating NUL.
const maxUnixPath = 107

// maxPerm is the largest permission create= takes: no set-id or sticky
// bits on a file made on a caller's behalf.
const maxPerm = 0o777

// maxTimeout is the longest timeout= a connect takes: longer waits are a
// mistake, and deadlines this far off stay clear of overflow.
const maxTimeout = time.Hour

// options are the key=value pairs after a source's first '?'.
type options map[string]string

// splitOptions cuts rest at its first '?' and parses what follows as
// key=value pairs joined by '&', each key one of known.
func splitOptions(text, rest, kind string, known ...string) (string, options, error) {
	addr, query, ok := strings.Cut(rest, "?")
	if !ok {
		return addr, nil, nil
	}
	if len(known) == 0 {
		return "", nil, fmt.Errorf("source %q takes no options", text)
	}
	opts := make(options)
	for _, kv := range strings.Split(query, "&") {
		key, val, ok := strings.Cut(kv, "=")
		switch {
		case kv == "":
			return "", nil, fmt.Errorf("source %q has an empty option", text)
		case !ok:
			return "", nil, fmt.Errorf("option %q has no \"=\"", kv)
		case !slices.Contains(known, key):
			return "", nil, fmt.Errorf("option %q is unknown to %s (known: %s)", key, kind, strings.Join(known, ", "))
		}
		if _, dup := opts[key]; dup {
			return "", nil, fmt.Errorf("option %q is given twice", key)
		}
		opts[key] = val
	}
	return addr, opts, nil
}

// parseFileSource parses PATH[?mode=M&create=PERM&dir=B] of file:.
func parseFileSource(text, rest string) (Source, error) {
	path, opts, err := splitOptions(text, rest, "file:", "mode", "create", "dir")
	if err != nil {
		return Source{}, err
	}
	if err := checkPath(text, path); err != nil {
		return Source{}, err
	}
	s := Source{Kind: SourceFile, Path: path, Mode: OpenRead}
	if m, ok := opts["mode"]; ok {
		switch OpenMode(m) {
		case OpenRead, OpenWrite, OpenReadWrite, OpenAppend:
			s.Mode = OpenMode(m)
		default:
			return Source{}, fmt.Errorf("file mode %q is not r, w, rw or a", m)
		}
	}
	if p, ok := opts["create"]; ok {
		perm, err := strconv.ParseUint(p, 8, 32)
		if err != nil || perm > maxPerm {
			return Source{}, fmt.Errorf("create permission %q is not octal from 0 to 0777", p)
		}
		if s.Mode == OpenRead {
			return Source{}, fmt.Errorf("option \"create\" needs mode w, rw or a")
		}
		s.Create, s.Perm = true, uint32(perm)
	}
	if d, ok := opts["dir"]; ok {
		if d != "true" && d != "false" {
			return Source{}, fmt.Errorf("option \"dir\" is %q, not true or false", d)
		}
		if d == "true" && s.Mode != OpenRead {
			return Source{}, fmt.Errorf("option \"dir\" needs mode r, not %q", s.Mode)
		}
		s.Dir = d == "true"
	}
	return s, nil
}

// parseConnectSource parses the rest of tcp:HOST:PORT or unix:PATH, each
// with an optional ?timeout=D.
func parseConnectSource(text, network, rest string) (Source, error) {
	addr, opts, err := splitOptions(text, rest, network+":", "timeout")
	if err != nil {
		return Source{}, err
	}
	s := Source{Kind: SourceConnect, Network: network}
	if t, ok := opts["timeout"]; ok {
		d, err := time.ParseDuration(t)
		if err != nil || d <= 0 {
			return Source{}, fmt.Errorf("timeout %q is not a positive duration such as 5s", t)
		}
		if d > maxTimeout {
			return Source{}, fmt.Errorf("timeout %q is longer than an hour", t)
		}
		s.Timeout = d
	}
	if network == "unix" {
		s.Path = addr
		return s, checkUnixPath(text, addr)
	}
	if addr == "" {
		return Source{}, fmt.Errorf("source %q has no address", text)
	}
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

// parseListenSource parses the rest of listen:NETWORK:ADDRESS.
func parseListenSource(text, rest string) (Source, error) {
	network, addr, ok := strings.Cut(rest, ":")
	switch network {
	case "tcp", "tcp6", "udp", "udp6", "unix":
	default:
		return Source{}, fmt.Errorf("listen network %q is not tcp, tcp6, udp, udp6 or unix", network)
	}
	addr, _, err := splitOptions(text, addr, "listen:"+network+":")
	if err != nil {
		return Source{}, err
	}
	if !ok || addr == "" {
		return Source{}, fmt.Errorf("source %q has no address", text)
	}
	s := Source{Kind: SourceListen, Network: network}
	if network == "unix" {
		s.Path = addr
		return s, checkUnixPath(text, addr)
	}
	if s.Host, s.Port, err = parseHostPort(text, addr); err != nil {
		return Source{}, err
	}
	if strings.HasSuffix(network, "6") && s.Host != "" {
		if ip, err := netip.ParseAddr(s.Host); err == nil && !ip.Is6() {
			return Source{}, fmt.Errorf("%s address %q is not IPv6", network, s.Host)
		}
	}
	return s, nil
}

// parseHostPort splits HOST:PORT, where HOST is empty, an IPv4 address,
// an IPv6 address in brackets, or a host name.
func parseHostPort(text, addr string) (string, int, error) {
	var host, port string
	if rest, ok := strings.CutPrefix(addr, "["); ok {
		h, after, ok := strings.Cut(rest, "]")
		if !ok {
			return "", 0, fmt.Errorf("host %q has no closing \"]\"", addr)
		}
		if err := checkBracketed(h); err != nil {
			return "", 0, err
		}
		p, ok := strings.CutPrefix(after, ":")
		if !ok && after != "" {
			return "", 0, fmt.Errorf("%q follows \"[%s]\", want :PORT", after, h)
		}
		host, port = h, p
	} else {
		i := strings.LastIndexByte(addr, ':')
		if i < 0 {
			if _, err := parsePort(addr); err == nil {
				return "", 0, fmt.Errorf("source %q has no port (every address on port %s is \":%s\")", text, addr, addr)
			}
			return "", 0, fmt.Errorf("source %q has no port", text)
		}
		host, port = addr[:i], addr[i+1:]
		if strings.Contains(host, ":") {
			return "", 0, fmt.Errorf("IPv6 address in %q must be in brackets, as in [::1]:80", addr)
		}
		if err := checkHost(host); err != nil {
			return "", 0, err
		}
	}
	if port == "" {
		return "", 0, fmt.Errorf("source %q has no port", text)
	}
	n, err := parsePort(port)
	return host, n, err
}

// parsePort parses a decimal port from 0 to 65535.
func parsePort(port string) (int, error) {
	if port == "" {
		return 0, fmt.Errorf("port is empty")
	}
	n := 0
	for i := 0; i < len(port); i++ {
		if !isDigit(port[i]) {
			return 0, fmt.Errorf("port %q is not a decimal number", port)
		}
		if n = n*10 + int(port[i]-'0'); n > 65535 {
			return 0, fmt.Errorf("port %q is out of range 0 to 65535", port)
		}
	}
	return n, nil
}

// checkBracketed checks the IPv6 literal between brackets.
func checkBracketed(h string) error {
	ip, err := netip.ParseAddr(h)
	switch {
	case err != nil || !ip.Is6():
		return fmt.Errorf("host \"[%s]\" is not an IPv6 address", h)
	case ip.Zone() != "":
		return fmt.Errorf("IPv6 zone %q of \"[%s]\" is not supported", ip.Zone(), h)
	}
	return nil
}

// checkHost checks an unbracketed host: empty, an IPv4 address or a host
// name.
func checkHost(host string) error {
	dotsAndDigits := true
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch {
		case isDigit(c) || c == '.':
		case isLetter(c) || c == '-' || c == '_':
			dotsAndDigits = false
		default:
			return fmt.Errorf("host %q is not an IP address or host name", host)
		}
	}
	if len(host) > 253 {
		return fmt.Errorf("host %q is longer than 253 characters", host)
	}
	if dotsAndDigits && host != "" {
		if _, err := netip.ParseAddr(host); err != nil {
			return fmt.Errorf("host %q is not an IPv4 address", host)
		}
	}
	return nil
}

func checkPath(text, path string) error {
	if path == "" {
		return fmt.Errorf("source %q has no path", text)
	}
	if strings.IndexByte(path, 0) >= 0 {
		return fmt.Errorf("path %q has a NUL byte", path)
	}
	return nil
}

func checkUnixPath(text, path string) error {
	if err := checkPath(text, path); err != nil {
		return err
	}
	if path == "@" {
		return fmt.Errorf("abstract socket name %q is empty", path)
	}
	if len(path) > maxUnixPath {
		return fmt.Errorf("unix socket path %q is longer than %d bytes", path, maxUnixPath)
	}
	return nil
}
