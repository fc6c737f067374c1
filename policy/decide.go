package policy

import (
	"fmt"
	"strings"

	"github.com/ww-dev/ww/fdmgr"
)

// NodePrefix starts a source that names a node resource: node:NAME. Only
// the policy knows it; fdmgr never sees it.
const NodePrefix = "node:"

// Bounds on what a request may hold; longer values are refused before
// they are looked at.
const (
	// MaxSourceLen bounds a source: PATH_MAX and room for options.
	MaxSourceLen = 4096
	// MaxKeyLen bounds an annotation key: a Kubernetes key is at most 317
	// bytes (253 of prefix, '/', 63 of name).
	MaxKeyLen = 512
)

// Decision is what the policy grants one request, or why it refuses it.
// A granted Decision says exactly what to open and how; the opener must
// open Open, not the request's source again.
type Decision struct {
	// Granted is whether the request may be opened.
	Granted bool
	// Reason says why, in words for an operator: what a grant rests on,
	// or what a refusal lacks. Err wraps it into the message of a refusal.
	Reason string
	// Open is the source to open when granted: the request's, parsed, or
	// for node:NAME the resource's. Zero when refused.
	Open fdmgr.Source
	// Resource is NAME of a granted node:NAME.
	Resource string
	// Beneath, when not empty, is the folder that Open.Path must be
	// resolved beneath: Rel is Open.Path relative to it (never "." and
	// never with a ".." element). The opener resolves Rel from an fd of
	// Beneath without leaving it, as openat2 with RESOLVE_BENEATH and
	// RESOLVE_NO_MAGICLINKS does, and refuses device nodes.
	Beneath, Rel string
	// Network is where a socket of Open is made: NetworkOwn with the
	// container's namespace path (enter it with setns to bind), or
	// NetworkHost, ww's own network namespace. NetworkUnknown for files.
	Network Network

	// The request and namespace decided on, for Err and the audit.
	Key, Source, Namespace string
}

// Err is nil for a granted Decision, and for a refused one a
// *RefusedError naming the annotation, the source and the reason.
func (d Decision) Err() error {
	if d.Granted {
		return nil
	}
	return &RefusedError{Key: d.Key, Source: d.Source, Namespace: d.Namespace, Reason: d.Reason}
}

// Verdict is "granted" or "refused".
func (d Decision) Verdict() string {
	if d.Granted {
		return "granted"
	}
	return "refused"
}

// RefusedError is a request the node policy refuses.
type RefusedError struct {
	Key, Source, Namespace, Reason string
}

// Error reads: annotation "fd.ww.dev/db": "file:/etc/shadow": REASON,
// each value quoted and cut after 200 bytes.
func (e *RefusedError) Error() string { return subject(e.Key, e.Source) + ": " + e.Reason }

// Subject names the request in messages: annotation "KEY": "SOURCE",
// each value quoted and cut after 200 bytes.
func (d Decision) Subject() string { return subject(d.Key, d.Source) }

func subject(key, source string) string {
	return "annotation " + quote(key) + ": " + quote(source)
}

// Decide decides request r of container c under p. It is a pure function
// of its arguments: it opens, resolves and reads nothing, so the same
// question always gets the same answer, and a nil or Failed policy
// refuses everything. The rules:
//
//   - node:NAME: the resource's source, if c's namespace is in its list.
//   - listen:tcp, tcp6, udp, udp6 and abstract listen:unix:@NAME: in c's
//     own network namespace always; in the node's network (c shares it,
//     or has a new, empty one) only for namespaces in hostNetwork.
//   - file:, unix:PATH, listen:unix:PATH: beneath a folder that a raw rule
//     of c's namespace lists (files, or unix for sockets); tcp: to a
//     HOST:PORT that such a rule lists, exactly.
//   - anything else, and any malformed request, is refused.
func (p *Policy) Decide(c Container, r Request) Decision {
	d := Decision{Key: r.Key, Source: r.Source, Namespace: c.Namespace}
	if reason := checkRequest(r); reason != "" {
		return d.refuse(reason)
	}
	switch {
	case p == nil:
		return d.refuse("no node policy is loaded")
	case p.origin == fromFailure:
		return d.refuse("every fd request is refused: " + shorten(p.err))
	case c.nsErr != nil:
		return d.refuse("the container's namespace is unknown: " + shorten(c.nsErr))
	}
	if err := ValidateNamespace(c.Namespace); err != nil {
		return d.refuse("the container's namespace is unknown: " + err.Error())
	}
	if name, ok := strings.CutPrefix(r.Source, NodePrefix); ok {
		return p.decideNode(d, name)
	}
	src, err := fdmgr.ParseSource(r.Source)
	if err != nil {
		return d.refuse(shorten(err))
	}
	switch {
	case src.IsFD():
		return d.refuse("an fd number means nothing in an annotation; name a file or socket")
	case src.Kind == fdmgr.SourceFile:
		return p.decideFile(d, src)
	case src.Abstract():
		if src.Kind != fdmgr.SourceListen {
			return d.refuse("connecting to an abstract unix socket is never granted to an annotation " +
				"(its name is in no folder; the node's own services listen on such names): " +
				"ask the node's administrator for a node: resource")
		}
		return p.decideListen(d, c, src)
	case src.Network == "unix":
		return p.decideUnix(d, src)
	case src.Kind == fdmgr.SourceTCP:
		return p.decideTCP(d, src)
	case src.Kind == fdmgr.SourceListen:
		return p.decideListen(d, c, src)
	}
	return d.refuse("source kind " + src.Kind.String() + " is never granted")
}

// checkRequest refuses what no rule should have to look at; "" if none.
func checkRequest(r Request) string {
	for _, v := range [...]struct{ what, s string }{{"key", r.Key}, {"source", r.Source}} {
		if i := strings.IndexFunc(v.s, isControl); i >= 0 {
			return fmt.Sprintf("the %s has control character %q", v.what, v.s[i])
		}
	}
	switch {
	case len(r.Key) > MaxKeyLen:
		return fmt.Sprintf("the key is %d bytes, more than %d", len(r.Key), MaxKeyLen)
	case len(r.Source) > MaxSourceLen:
		return fmt.Sprintf("the source is %d bytes, more than %d", len(r.Source), MaxSourceLen)
	case r.Source == "":
		return "the source is empty"
	}
	return ""
}

func (d Decision) refuse(reason string) Decision {
	return Decision{Reason: reason, Key: d.Key, Source: d.Source, Namespace: d.Namespace}
}

// grant grants d for reason. Reasons are built by concatenation, not
// fmt: every create with fds builds them, and the first fmt.Sprintf of a
// fresh ww runtime cost about as much as the rest of its decisions
// (perf, 2026-12-01).
func (d Decision) grant(reason string, open fdmgr.Source) Decision {
	d.Granted, d.Reason, d.Open = true, reason, open
	return d
}

// notAllowed is the reason of a request no rule grants.
func (p *Policy) notAllowed(ns string) string {
	return "not allowed for namespace " + quote(ns) + " by " + p.String()
}

func (p *Policy) decideNode(d Decision, name string) Decision {
	res, ok := p.resources[name]
	if !ok {
		return d.refuse("no resource " + quote(name) + " in " + p.String())
	}
	pattern, ok := matchNamespace(res.Namespaces, d.Namespace)
	if !ok {
		return d.refuse("resource " + quote(name) + " is " + p.notAllowed(d.Namespace))
	}
	d = d.grant("resource "+quote(name)+" ("+clip(res.Source.Text)+") is granted to "+
		grantee(pattern, d.Namespace)+" by "+p.String(), res.Source)
	d.Resource = name
	if res.Source.Kind != fdmgr.SourceFile {
		d.Network = Network{Kind: NetworkHost}
	}
	return d
}

// grantee says which list entry matched namespace ns.
func grantee(pattern, ns string) string {
	if pattern == ns {
		return quote(ns)
	}
	return quote(ns) + " (as " + quote(pattern) + ")"
}

// Action says in words what ww does for a granted Decision, such as
// "bind listen:tcp::8080 in network namespace /run/netns/cni-1" or
// "open file:/srv/shared/a.txt beneath /srv/shared"; "nothing" when
// refused.
func (d Decision) Action() string {
	if !d.Granted {
		return "nothing"
	}
	verb := "open"
	switch d.Open.Kind {
	case fdmgr.SourceTCP, fdmgr.SourceUnix:
		verb = "connect to"
	case fdmgr.SourceListen:
		verb = "bind"
	}
	s := verb + " " + clip(d.Open.Text)
	if d.Resource != "" {
		s = verb + " resource " + quote(d.Resource) + ", " + clip(d.Open.Text) + ","
	}
	if d.Beneath != "" {
		s += " beneath " + clip(d.Beneath)
	}
	pathSocket := d.Open.Network == "unix" && !d.Open.Abstract()
	switch {
	case pathSocket:
	case d.Network.Kind == NetworkOwn:
		s += " in network namespace " + clip(d.Network.Path)
	case d.Network.Kind == NetworkHost:
		s += " in the node's network"
	}
	return strings.TrimSuffix(s, ",")
}
