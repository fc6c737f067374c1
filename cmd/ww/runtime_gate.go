package main

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/fdmgr"
	"github.com/ww-dev/ww/policy"
	"github.com/ww-dev/ww/spec"
)

// gate is the second part of the runtime path: it judges every request
// of a container before anything is opened, and says what to open for
// it. A refusal fails the create with nothing opened and the config
// untouched; its error names the annotation, the source and the reason.
type gate interface {
	decide(r spec.FDRequest) (fdmgr.Source, error)
}

// grant is a request the gate allows, with what to open for it.
type grant struct {
	spec.FDRequest
	open fdmgr.Source
	// held is the fd of a listener taken from the pod's sandbox, handed
	// over instead of opening open; 0 for none.
	held int
}

// judgeAll asks g about every request, in order, and stops at the first
// refusal.
func judgeAll(g gate, c *createRequest) ([]grant, error) {
	grants := make([]grant, 0, len(c.reqs.FDs))
	for _, r := range c.reqs.FDs {
		src, err := g.decide(r)
		if err != nil {
			return nil, err
		}
		grants = append(grants, grant{FDRequest: r, open: src})
	}
	return grants, nil
}

// policyGate judges requests by the node policy (package policy), and
// records every decision in the policy's audit file when it names one.
type policyGate struct {
	p     *policy.Policy
	c     policy.Container
	audit *policy.AuditFile
}

// newPolicyGate loads the node policy that env names (WW_POLICY, else
// /etc/ww/policy.yaml; none: the default policy) for the container of
// the create, id. A policy that cannot be read or is invalid refuses
// every request, with its error as the reason: the gate fails closed.
func newPolicyGate(env []string, id string, c *createRequest, s *specs.Spec) (*policyGate, error) {
	path, err := policy.PathFromEnv(env)
	var p *policy.Policy
	if err == nil {
		p, err = policy.LoadDefault(path)
	}
	if err != nil {
		p = policy.Failed(path, err)
	}
	g := &policyGate{p: p, c: policy.ContainerOf(id, c.head.Annotations, configNetwork(s))}
	if audit := p.Audit(); audit != "" {
		if g.audit, err = policy.OpenAudit(audit); err != nil {
			// A grant that leaves no record is what an audit is there
			// to prevent.
			return nil, fmt.Errorf("node policy %s: %w", p.Path(), err)
		}
	}
	return g, nil
}

func (g *policyGate) decide(r spec.FDRequest) (fdmgr.Source, error) {
	d := g.p.Decide(g.c, policy.Request{Key: r.Key, Name: r.Name, Source: r.Source})
	if g.audit != nil {
		if err := g.audit.Record(time.Now(), g.c, d); err != nil {
			return fdmgr.Source{}, fmt.Errorf("node policy %s: %w", g.p.Path(), err)
		}
	}
	if err := d.Err(); err != nil {
		return fdmgr.Source{}, err
	}
	src := d.Open
	if why := unopenable(g.c, src, d); why != "" {
		return fdmgr.Source{}, fmt.Errorf("annotation %q: %q: %s", r.Key, quoteValue(r.Source), why)
	}
	// A path from a raw rule is resolved without leaving its folder: no
	// "..", no symbolic link out, no /proc magic link, no device node.
	src.Beneath = d.Beneath
	return src, nil
}

// unopenable says why ww runtime cannot open a granted source as granted,
// or "" when it can. A host name would be looked up through the Go
// runtime's resolver, whose poller and timers the runtime path must not
// start (see quietRuntime), and for a listener outside the container's
// network; a node resource's listener is granted in the node's network,
// while the listeners of a container with a network of its own are all
// bound in that one.
func unopenable(c policy.Container, src fdmgr.Source, d policy.Decision) string {
	if src.Host != "" {
		if _, err := netip.ParseAddr(src.Host); err != nil {
			return fmt.Sprintf("host name %q: ww runtime resolves no names; give an IP address", quoteValue(src.Host))
		}
	}
	isNetListener := src.Kind == fdmgr.SourceListen && (src.Network != "unix" || strings.HasPrefix(src.Path, "@"))
	if d.Resource != "" && isNetListener && c.Network.Kind == policy.NetworkOwn {
		return fmt.Sprintf("resource %q listens in the node's network, and a container with a network of its own gets its listeners there; not supported", d.Resource)
	}
	return ""
}

// listenNetNS is where the container's granted listeners are bound: the
// network namespace of its own, when it has one; "" for ww's.
func (g *policyGate) listenNetNS() string {
	if g.c.Network.Kind == policy.NetworkOwn {
		return g.c.Network.Path
	}
	return ""
}

func (g *policyGate) close() {
	if g.audit != nil {
		g.audit.Close()
	}
}

// configNetwork is the container's network as its config gives it: the
// namespace it names by path (a pod's, or one its engine made), a new
// empty one from the runtime (an entry without a path), or the node's (no
// entry). A path to ww's own network namespace is the node's network: a
// container must not pass it off as its own.
func configNetwork(s *specs.Spec) policy.Network {
	if s == nil || s.Linux == nil {
		return policy.ConfigNetwork(false, "")
	}
	for _, ns := range s.Linux.Namespaces {
		if ns.Type != specs.NetworkNamespace {
			continue
		}
		if ns.Path != "" && sameFile(ns.Path, "/proc/self/ns/net") {
			return policy.ConfigNetwork(false, "")
		}
		return policy.ConfigNetwork(true, ns.Path)
	}
	return policy.ConfigNetwork(false, "")
}

// sameFile reports whether a and b are the same file.
func sameFile(a, b string) bool {
	var sa, sb unix.Stat_t
	return unix.Stat(a, &sa) == nil && unix.Stat(b, &sb) == nil && sa.Dev == sb.Dev && sa.Ino == sb.Ino
}
