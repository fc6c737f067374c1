package fdmgr

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// maxUnixPath is the longest unix socket path: sun_path holds 108 bytes,
// the last of them the terminating NUL.
const maxUnixPath = 107

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
