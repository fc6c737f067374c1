package fdmgr

import (
	"fmt"
	"net/netip"
	"strings"
)

// SourceListen is a bound socket, listening if it is a stream:
// "listen:NETWORK:ADDRESS".
const SourceListen SourceKind = "listen"

// listenSource is the kind SourceListen.
type listenSource struct{}

// parse parses NETWORK:ADDRESS.
func (listenSource) parse(text, rest string) (Source, error) {
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
	s := Source{Network: network}
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
