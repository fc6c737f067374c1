package policy

import (
	"strings"
	"testing"

	"github.com/ww-dev/ww/fdmgr"
)

func FuzzDecode(f *testing.F) {
	f.Add([]byte(examplePolicy))
	f.Add([]byte("version: 1\n"))
	f.Add([]byte("version: 1\nraw:\n  - namespaces: [\"@local\"]\n    files: [/srv]\n    tcp: [\"[::1]:1\"]\n"))
	f.Add([]byte("version: 1\nresources: {a: {source: \"listen:unix:@x\", namespaces: [\"*\"]}}\n"))
	f.Add([]byte(`{"version": 1, "hostNetwork": {"namespaces": ["team-[a-z]"]}}`))
	f.Add([]byte("version: 1\nx: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Decode("/p.yaml", data)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "policy /p.yaml: ") || strings.ContainsAny(msg, "\n\x00") || len(msg) > 2000 {
				t.Fatalf("error is not one bounded line naming the file: %q", msg)
			}
			return
		}
		// A policy that decodes is sound: everything in it passes the
		// checks again, and it decides without panicking.
		for _, r := range p.Resources() {
			if r.Source.IsFD() || r.Source.Text == "" {
				t.Fatalf("resource %q: %+v", r.Name, r.Source)
			}
			checkPatterns(t, r.Namespaces)
		}
		for _, r := range p.Raw() {
			checkPatterns(t, r.Namespaces)
			for _, dir := range append(r.Files, r.Unix...) {
				if err := checkFolder(dir); err != nil {
					t.Fatal(err)
				}
			}
		}
		checkPatterns(t, p.HostNetwork())
		p.Grants()
		for _, ns := range []string{"shop", Local} {
			for _, src := range []string{"node:a", "file:/srv/x", "listen:tcp::80", "tcp:[::1]:1"} {
				p.Decide(Container{Namespace: ns, Network: ownNet}, Request{Key: "k", Source: src})
			}
		}
	})
}

func checkPatterns(t *testing.T, patterns []string) {
	t.Helper()
	for _, p := range patterns {
		if err := checkPattern(p); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzDecide asks the example policy arbitrary requests of containers
// with arbitrary annotations: it never panics, a refusal names the key
// and the source first, and a grant says exactly what to open.
func FuzzDecide(f *testing.F) {
	f.Add(CRINamespaceAnnotation, "shop", CRIONamespaceAnnotation, "shop", "fd.ww.dev/db", "node:pg", uint8(1), "/run/netns/x")
	f.Add(CRINamespaceAnnotation, "shop", CRIONamespaceAnnotation, "kube-system", "fd.ww.dev/db", "node:pg", uint8(1), "/run/netns/x")
	f.Add("a", "b", "c", "d", "fd.ww.dev/f", "file:/srv/shared/../x", uint8(3), "")
	f.Add("a", "b", "c", "d", "fd.ww.dev/f", "file:/srv/shared/x?mode=a&create=0600", uint8(3), "")
	f.Add(CRIONamespaceAnnotation, "team-x", "", "", "x", "unix:/run/team/s", uint8(2), "")
	f.Add(CRIONamespaceAnnotation, "ingress", "", "", "x", "listen:udp6:[::1]:53", uint8(3), "")
	f.Add("", "", "", "", "x\n", "tcp:db.example.com:5432\x00", uint8(0), "rel")
	p := mustDecode(f, examplePath, examplePolicy)
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, key, source string, kind uint8, netPath string) {
		c := ContainerOf("id", map[string]string{k1: v1, k2: v2}, Network{Kind: NetworkKind(kind % 5), Path: netPath})
		d := p.Decide(c, Request{Key: key, Name: "x", Source: source})
		if d.Key != key || d.Source != source || d.Namespace != c.Namespace {
			t.Fatalf("decision is about another request: %+v", d)
		}
		if !d.Granted {
			msg := d.Err().Error()
			if !strings.HasPrefix(msg, "annotation "+quote(key)+": "+quote(source)+": ") ||
				strings.ContainsAny(msg, "\n\x00") || len(msg) > 2000 {
				t.Fatalf("refusal %q", msg)
			}
			if d.Open != (fdmgr.Source{}) || d.Beneath != "" || d.Network != (Network{}) {
				t.Fatalf("refusal says what to open: %+v", d)
			}
			return
		}
		checkGrant(t, c, d)
	})
}

// checkGrant checks what every grant must be.
func checkGrant(t *testing.T, c Container, d Decision) {
	t.Helper()
	if d.Err() != nil || strings.ContainsFunc(d.Key+d.Source, isControl) || len(d.Source) > MaxSourceLen {
		t.Fatalf("granted a request refused up front: %+v", d)
	}
	if ValidateNamespace(c.Namespace) != nil || c.nsErr != nil {
		t.Fatalf("granted to a container of unknown namespace: %+v", c)
	}
	if d.Resource == "" && d.Open.Text != d.Source {
		t.Fatalf("opens %q for %q", d.Open.Text, d.Source)
	}
	if d.Open.IsFD() || (d.Resource == "" && d.Open.Dir) {
		t.Fatalf("grants %+v", d.Open)
	}
	if d.Beneath != "" {
		if d.Open.Path != strings.TrimSuffix(d.Beneath, "/")+"/"+d.Rel || d.Rel == "" ||
			checkRawPath("/"+d.Rel) != "" {
			t.Fatalf("beneath %q rel %q for %q", d.Beneath, d.Rel, d.Open.Path)
		}
	}
	if d.Resource == "" && d.Beneath == "" && (d.Open.Kind == fdmgr.SourceFile || d.Open.Network == "unix" && !strings.HasPrefix(d.Open.Path, "@")) {
		t.Fatalf("a path granted without a folder: %+v", d)
	}
	switch d.Network.Kind {
	case NetworkOwn:
		if d.Network != c.Network || checkFolder(d.Network.Path) != nil {
			t.Fatalf("binds in %+v for a container in %+v", d.Network, c.Network)
		}
	case NetworkHost:
		if d.Open.Kind == fdmgr.SourceListen && d.Resource == "" && d.Beneath == "" && c.Network.Kind == NetworkOwn {
			t.Fatalf("binds on the node for a container with its own network: %+v", d)
		}
	}
}
