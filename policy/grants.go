package policy

import (
	"maps"
	"slices"
)

// Grant is what a policy grants to the namespaces that one entry of its
// lists names, beyond listening in a container's own network, which
// every container may. A namespace that several entries match (shop,
// "s*", "*") gets what each of them grants.
type Grant struct {
	// Namespace is the entry as written: a name, a glob or Local.
	Namespace   string
	Resources   []Resource // node:NAME
	Files       []string   // file: beneath these folders
	Unix        []string   // unix: and listen:unix: beneath these folders
	TCP         []string   // tcp: to these HOST:PORT
	HostNetwork bool       // listen: in the node's network
}

// Grants returns what p grants, one Grant for each namespace entry it
// names, Local first (always there, if only to say it gets nothing), then
// the others sorted. A nil or Failed policy grants nothing.
func (p *Policy) Grants() []Grant {
	if p == nil || p.origin == fromFailure {
		return nil
	}
	byNS := map[string]*Grant{Local: {Namespace: Local}}
	get := func(ns string) *Grant {
		g, ok := byNS[ns]
		if !ok {
			g = &Grant{Namespace: ns}
			byNS[ns] = g
		}
		return g
	}
	for _, r := range p.Resources() {
		for _, ns := range r.Namespaces {
			g := get(ns)
			if !slices.ContainsFunc(g.Resources, func(x Resource) bool { return x.Name == r.Name }) {
				g.Resources = append(g.Resources, r)
			}
		}
	}
	for _, r := range p.raw {
		for _, ns := range r.Namespaces {
			g := get(ns)
			g.Files = appendNew(g.Files, r.Files...)
			g.Unix = appendNew(g.Unix, r.Unix...)
			g.TCP = appendNew(g.TCP, r.TCP...)
		}
	}
	for _, ns := range p.hostNetwork {
		get(ns).HostNetwork = true
	}
	out := []Grant{*byNS[Local]}
	delete(byNS, Local)
	for _, ns := range slices.Sorted(maps.Keys(byNS)) {
		out = append(out, *byNS[ns])
	}
	return out
}

// appendNew appends the elements of add that list lacks.
func appendNew(list []string, add ...string) []string {
	for _, s := range add {
		if !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}
