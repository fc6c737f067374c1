package policy

import (
	"net/netip"
	"path"
	"strconv"
	"strings"

	"github.com/ww-dev/ww/fdmgr"
)

func (p *Policy) decideListen(d Decision, c Container, src fdmgr.Source) Decision {
	var why string
	switch c.Network.Kind {
	case NetworkOwn:
		if err := checkFolder(c.Network.Path); err != nil {
			return d.refuse("the container's network namespace path " + err.Error())
		}
		d = d.grant("listening in the container's own network namespace ("+clip(c.Network.Path)+") is always granted", src)
		d.Network = c.Network
		return d
	case NetworkHost:
		why = "the container shares it"
	case NetworkNew:
		why = "the container's own is new and empty"
	default:
		return d.refuse("the container's network namespace is unknown, so nothing is bound for it")
	}
	pattern, ok := matchNamespace(p.hostNetwork, d.Namespace)
	if !ok {
		return d.refuse("listening in the node's network (" + why + ") is " + p.notAllowed(d.Namespace) +
			"; hostNetwork lists the namespaces that may")
	}
	by := "hostNetwork of " + p.String()
	if p.IsDefault() {
		by = p.String()
	}
	d = d.grant("listening in the node's network ("+why+") is granted to "+
		grantee(pattern, d.Namespace)+" by "+by, src)
	d.Network = Network{Kind: NetworkHost}
	return d
}

func (p *Policy) decideFile(d Decision, src fdmgr.Source) Decision {
	if reason := checkRawPath(src.Path); reason != "" {
		return d.refuse(reason)
	}
	if src.Dir {
		return d.refuse("a directory is never granted to an annotation (through \"..\" its fd reaches " +
			"the whole file system): ask the node's administrator for a node: resource")
	}
	return p.decideBeneath(d, src, "files", func(r RawRule) []string { return r.Files })
}

func (p *Policy) decideUnix(d Decision, src fdmgr.Source) Decision {
	if reason := checkRawPath(src.Path); reason != "" {
		return d.refuse(reason)
	}
	d = p.decideBeneath(d, src, "unix", func(r RawRule) []string { return r.Unix })
	if d.Granted {
		// A socket file is the file system's, whatever the network.
		d.Network = Network{Kind: NetworkHost}
	}
	return d
}

// decideBeneath grants src if its path lies beneath a folder that
// folders gives for a raw rule of the namespace; the first such folder,
// in the file's order, is the one to resolve beneath.
func (p *Policy) decideBeneath(d Decision, src fdmgr.Source, what string, folders func(RawRule) []string) Decision {
	for i, r := range p.raw {
		pattern, ok := matchNamespace(r.Namespaces, d.Namespace)
		if !ok {
			continue
		}
		for _, dir := range folders(r) {
			if rel, ok := beneath(dir, src.Path); ok {
				d = d.grant("beneath "+clip(dir)+", which raw["+strconv.Itoa(i)+"]."+what+
					" of "+p.String()+" allows to "+grantee(pattern, d.Namespace), src)
				d.Beneath, d.Rel = dir, rel
				return d
			}
		}
	}
	return d.refuse(p.notAllowed(d.Namespace))
}

func (p *Policy) decideTCP(d Decision, src fdmgr.Source) Decision {
	for i, r := range p.raw {
		pattern, ok := matchNamespace(r.Namespaces, d.Namespace)
		if !ok {
			continue
		}
		for j, hp := range r.tcp {
			if hp.port == src.Port && sameHost(hp.host, src.Host) {
				d = d.grant("destination "+clip(r.TCP[j])+", which raw["+strconv.Itoa(i)+"].tcp["+strconv.Itoa(j)+
					"] of "+p.String()+" allows to "+grantee(pattern, d.Namespace), src)
				d.Network = Network{Kind: NetworkHost}
				return d
			}
		}
	}
	return d.refuse(p.notAllowed(d.Namespace))
}

// checkRawPath refuses a path that a raw folder could not contain as
// written: a relative one, one with a ".." element, one not clean. ""
// when the path is fine.
func checkRawPath(p string) string {
	for _, elem := range strings.Split(p, "/") {
		if elem == ".." {
			return `the path has a ".." element`
		}
	}
	switch {
	case !strings.HasPrefix(p, "/"):
		return "the path is not absolute"
	case path.Clean(p) != p:
		return "the path is not clean (" + quote(path.Clean(p)) + " is)"
	}
	return ""
}

// beneath returns p relative to folder dir if p lies beneath it; p and
// dir are absolute and clean, and p is never dir itself.
func beneath(dir, p string) (string, bool) {
	if dir != "/" {
		dir += "/"
	}
	rel, ok := strings.CutPrefix(p, dir)
	return rel, ok && rel != ""
}

// sameHost compares a host of the policy with a request's: IP addresses
// by value (::1 and 0:0::1 are one), names without regard to case, as DNS
// does. A name is compared as written, not resolved: the destination is
// the one it resolves to when ww connects.
func sameHost(allowed, asked string) bool {
	a, errA := netip.ParseAddr(allowed)
	b, errB := netip.ParseAddr(asked)
	if errA == nil && errB == nil {
		return a == b
	}
	return errA != nil && errB != nil && strings.EqualFold(allowed, asked)
}
