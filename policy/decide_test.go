package policy

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ww-dev/ww/fdmgr"
)

const examplePath = "/etc/ww/policy.yaml"

// TestDecideListen decides listeners for each kind of network a container
// can have, under the default and the example policy.
func TestDecideListen(t *testing.T) {
	explicit := mustDecode(t, examplePath, examplePolicy)
	onlyIngress := mustDecode(t, examplePath, "version: 1\nhostNetwork:\n  namespaces: [ingress]\n")
	everyK8s := mustDecode(t, examplePath, "version: 1\nhostNetwork:\n  namespaces: [\"*\"]\n")
	dflt := Default(examplePath)
	host := Network{Kind: NetworkHost}
	hostRefused := func(why string) string {
		return "listening in the node's network (" + why + ") is not allowed for namespace {ns} by {policy}; " +
			"hostNetwork lists the namespaces that may"
	}
	shares, empty := hostRefused("the container shares it"), hostRefused("the container's own is new and empty")
	tests := []struct {
		name      string
		p         *Policy
		ns        string
		net       Network
		wantNet   Network // for a grant
		wantError string  // for a refusal
	}{
		{"own network, shop, default: granted there", dflt, "shop", ownNet, ownNet, ""},
		{"own network, @local, default: granted there", dflt, Local, ownNet, ownNet, ""},
		{"own network, other, example: granted there", explicit, "other", ownNet, ownNet, ""},
		{"host network, @local, default: granted on the node", dflt, Local, host, host, ""},
		{"new network, @local, default: granted on the node", dflt, Local, Network{Kind: NetworkNew}, host, ""},
		{"host network, shop, default: refused", dflt, "shop", host, Network{}, shares},
		{"new network, shop, default: refused", dflt, "shop", Network{Kind: NetworkNew}, Network{}, empty},
		{"host network, ingress, example: granted on the node", explicit, "ingress", host, host, ""},
		{"host network, @local, example lists it: granted", explicit, Local, host, host, ""},
		{"host network, shop, example: refused", explicit, "shop", host, Network{}, shares},
		{"host network, @local, hostNetwork without it: refused", onlyIngress, Local, host, Network{}, shares},
		{"new network, @local, hostNetwork without it: refused", onlyIngress, Local, Network{Kind: NetworkNew}, Network{}, empty},
		{"host network, ingress, hostNetwork [ingress]: granted", onlyIngress, "ingress", host, host, ""},
		{"host network, any k8s, hostNetwork [*]: granted", everyK8s, "kube-system", host, host, ""},
		{"host network, @local, hostNetwork [*]: refused, globs miss @local", everyK8s, Local, host, Network{}, shares},
		{"unknown network, @local, default: refused", dflt, Local, Network{}, Network{},
			"the container's network namespace is unknown, so nothing is bound for it"},
		{"own network without a path, shop: refused", dflt, "shop", Network{Kind: NetworkOwn}, Network{},
			`the container's network namespace path "": not an absolute path`},
		{"own network, relative path: refused", dflt, "shop", Network{Kind: NetworkOwn, Path: "netns/x"}, Network{},
			`the container's network namespace path "netns/x": not an absolute path`},
		{"odd network kind, @local: refused", dflt, Local, Network{Kind: 9}, Network{},
			"the container's network namespace is unknown"},
	}
	for _, tt := range tests {
		for _, src := range []string{"listen:tcp::8080", "listen:tcp6::0", "listen:udp:127.0.0.1:53", "listen:udp6:[::1]:53", "listen:unix:@x"} {
			t.Run(tt.name+", "+src, func(t *testing.T) {
				d := tt.p.Decide(Container{Namespace: tt.ns, Network: tt.net}, Request{Key: "fd.ww.dev/l", Source: src})
				if tt.wantError != "" {
					want := strings.NewReplacer("{ns}", quote(tt.ns), "{policy}", tt.p.String()).Replace(tt.wantError)
					if d.Granted || !strings.Contains(d.Reason, want) {
						t.Fatalf("got %v %q, want refused with %q", d.Granted, d.Reason, want)
					}
					return
				}
				if !d.Granted || d.Network != tt.wantNet || d.Open.Text != src || d.Beneath != "" {
					t.Fatalf("got %+v, want granted in %+v", d, tt.wantNet)
				}
			})
		}
	}
}

// TestDecideGrants checks what a grant says to open, where and why.
func TestDecideGrants(t *testing.T) {
	p := mustDecode(t, examplePath, examplePolicy)
	parse := func(s string) fdmgr.Source {
		src, err := fdmgr.ParseSource(s)
		if err != nil {
			t.Fatal(err)
		}
		return src
	}
	host := Network{Kind: NetworkHost}
	tests := []struct {
		name, ns, source string
		want             Decision // Granted, Key, Source and Namespace are filled in
	}{
		{"node:pg from shop, the resource's socket on the node", "shop", "node:pg", Decision{
			Reason:   `resource "pg" (unix:/run/postgresql/.s.PGSQL.5432) is granted to "shop" by node policy /etc/ww/policy.yaml`,
			Open:     parse("unix:/run/postgresql/.s.PGSQL.5432"),
			Resource: "pg", Network: host}},
		{"node:pg from team-a, granted by the glob", "team-a", "node:pg", Decision{
			Reason:   `resource "pg" (unix:/run/postgresql/.s.PGSQL.5432) is granted to "team-a" (as "team-*") by node policy /etc/ww/policy.yaml`,
			Open:     parse("unix:/run/postgresql/.s.PGSQL.5432"),
			Resource: "pg", Network: host}},
		{"node:applog from shop, a file, no network", "shop", "node:applog", Decision{
			Reason:   `resource "applog" (file:/var/log/apps/shop.log?mode=a&create=0640) is granted to "shop" by node policy /etc/ww/policy.yaml`,
			Open:     parse("file:/var/log/apps/shop.log?mode=a&create=0640"),
			Resource: "applog"}},
		{"node:web from @local, a listener on the node", Local, "node:web", Decision{
			Reason:   `resource "web" (listen:tcp::80) is granted to "@local" by node policy /etc/ww/policy.yaml`,
			Open:     parse("listen:tcp::80"),
			Resource: "web", Network: host}},
		{"file beneath a folder, resolved beneath it", Local, "file:/srv/shared/a/b.txt?mode=a&create=0600", Decision{
			Reason:  `beneath /srv/shared, which raw[0].files of node policy /etc/ww/policy.yaml allows to "@local"`,
			Open:    parse("file:/srv/shared/a/b.txt?mode=a&create=0600"),
			Beneath: "/srv/shared", Rel: "a/b.txt"}},
		{"unix beneath a folder, resolved beneath it", "team-b", "unix:/run/team/db.sock", Decision{
			Reason:  `beneath /run/team, which raw[2].unix of node policy /etc/ww/policy.yaml allows to "team-b" (as "team-*")`,
			Open:    parse("unix:/run/team/db.sock"),
			Beneath: "/run/team", Rel: "db.sock", Network: host}},
		{"listen:unix beneath a folder, resolved beneath it", Local, "listen:unix:/run/app-sockets/x/l.sock", Decision{
			Reason:  `beneath /run/app-sockets, which raw[0].unix of node policy /etc/ww/policy.yaml allows to "@local"`,
			Open:    parse("listen:unix:/run/app-sockets/x/l.sock"),
			Beneath: "/run/app-sockets", Rel: "x/l.sock", Network: host}},
		{"tcp to a listed destination, from the node", "team-a", "tcp:[::1]:6379?timeout=1s", Decision{
			Reason:  `destination [::1]:6379, which raw[2].tcp[1] of node policy /etc/ww/policy.yaml allows to "team-a" (as "team-*")`,
			Open:    parse("tcp:[::1]:6379?timeout=1s"),
			Network: host}},
		{"listen in the own network, bound there", "shop", "listen:tcp::8080", Decision{
			Reason:  "listening in the container's own network namespace (/run/netns/cni-1) is always granted",
			Open:    parse("listen:tcp::8080"),
			Network: ownNet}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			want.Granted, want.Key, want.Source, want.Namespace = true, "fd.ww.dev/x", tt.source, tt.ns
			got := p.Decide(Container{Namespace: tt.ns, Network: ownNet}, Request{Key: "fd.ww.dev/x", Name: "x", Source: tt.source})
			if got != want {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestDecideRefusesUpFront checks the requests refused before any rule is
// looked at, and the escapes refused although a folder is allowed.
func TestDecideRefusesUpFront(t *testing.T) {
	p := mustDecode(t, examplePath, examplePolicy)
	long := strings.Repeat("a", 1<<20)
	tests := []struct {
		name, key, source, want string
	}{
		{"dot-dot out of the folder, refused", "fd.ww.dev/x", "file:/srv/shared/../../etc/shadow", `the path has a ".." element`},
		{"dot-dot at the end, refused", "fd.ww.dev/x", "file:/srv/shared/a/..", `the path has a ".." element`},
		{"dot-dot in a unix path, refused", "fd.ww.dev/x", "unix:/run/app-sockets/../docker.sock", `the path has a ".." element`},
		{"dot-dot in a listen:unix path, refused", "fd.ww.dev/x", "listen:unix:/run/app-sockets/../x", `the path has a ".." element`},
		{"double slash, not clean", "fd.ww.dev/x", "file:/srv/shared//x", `the path is not clean ("/srv/shared/x" is)`},
		{"dot element, not clean", "fd.ww.dev/x", "file:/srv/shared/./x", `the path is not clean ("/srv/shared/x" is)`},
		{"trailing slash, not clean", "fd.ww.dev/x", "file:/srv/shared/x/", `the path is not clean ("/srv/shared/x" is)`},
		{"relative path, refused", "fd.ww.dev/x", "file:srv/shared/x", "the path is not absolute"},
		{"relative unix path, refused", "fd.ww.dev/x", "unix:run/app-sockets/s", "the path is not absolute"},
		{"the folder itself, not beneath it", "fd.ww.dev/x", "file:/srv/shared", `not allowed for namespace "@local"`},
		{"a directory beneath the folder, refused", "fd.ww.dev/x", "file:/srv/shared/sub?dir=true", "a directory is never granted to an annotation"},
		{"a sibling with the folder's name as prefix, refused", "fd.ww.dev/x", "file:/srv/sharedx/y", `not allowed for namespace "@local"`},
		{"NUL in the source, refused", "fd.ww.dev/x", "file:/srv/shared/x\x00y", `the source has control character '\x00'`},
		{"newline in the source, refused", "fd.ww.dev/x", "file:/srv/shared/x\ny", `the source has control character '\n'`},
		{"NUL in the key, refused", "fd.ww.dev/x\x00", "listen:tcp::80", `the key has control character '\x00'`},
		{"newline in the key, refused", "fd.ww.dev/x\n", "listen:tcp::80", `the key has control character '\n'`},
		{"1 MiB source, refused", "fd.ww.dev/x", "file:/srv/shared/" + long, "the source is 1048593 bytes, more than 4096"},
		{"1 MiB key, refused", "fd.ww.dev/" + long, "listen:tcp::80", "the key is 1048586 bytes, more than 512"},
		{"empty source, refused", "fd.ww.dev/x", "", "the source is empty"},
		{"node: without a name, refused", "fd.ww.dev/x", "node:", `no resource "" in node policy /etc/ww/policy.yaml`},
		{"node: with options, no such resource", "fd.ww.dev/x", "node:pg?mode=w", `no resource "pg?mode=w"`},
		{"NODE: in capitals, no such kind", "fd.ww.dev/x", "NODE:pg", `source "NODE:pg" is of no known kind`},
		{"listen without a port, refused", "fd.ww.dev/x", "listen:tcp:1.2.3.4", `source "listen:tcp:1.2.3.4" has no port`},
		{"unix path longer than sun_path, refused", "fd.ww.dev/x", "unix:/run/app-sockets/" + strings.Repeat("s", 100), "longer than 107 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := p.Decide(Container{Namespace: Local, Network: ownNet}, Request{Key: tt.key, Source: tt.source})
			if d.Granted || !strings.Contains(d.Reason, tt.want) {
				t.Fatalf("got %v %q, want refused with %q", d.Granted, d.Reason, tt.want)
			}
			msg := d.Err().Error()
			if !strings.HasPrefix(msg, "annotation "+quote(tt.key)+": "+quote(tt.source)+": ") {
				t.Errorf("message %q does not name the key and source first", msg)
			}
			if len(msg) > 1000 {
				t.Errorf("message is %d bytes long", len(msg))
			}
		})
	}
}

// TestDecideContainer checks the refusals that come from the container
// or the policy rather than the request.
func TestDecideContainer(t *testing.T) {
	p := mustDecode(t, examplePath, examplePolicy)
	listen := Request{Key: "fd.ww.dev/l", Source: "listen:tcp::80"}
	tests := []struct {
		name string
		p    *Policy
		c    Container
		want string
	}{
		{"nil policy, refused", nil, Container{Namespace: Local, Network: ownNet}, "no node policy is loaded"},
		{"failed policy, refused with its error", Failed(examplePath, errors.New("policy /etc/ww/policy.yaml: permission denied")),
			Container{Namespace: Local, Network: ownNet},
			"every fd request is refused: policy /etc/ww/policy.yaml: permission denied"},
		{"zero container, refused", p, Container{}, "the container's namespace is unknown: namespace is empty"},
		{"upper-case namespace, refused", p, Container{Namespace: "Shop", Network: ownNet},
			`the container's namespace is unknown: "Shop" is not a Kubernetes namespace name`},
		{"namespace like @host, refused", p, Container{Namespace: "@host", Network: ownNet},
			`the container's namespace is unknown: "@host" is not a Kubernetes namespace name`},
		{"disagreeing annotations, refused", p, ContainerOf("c1", map[string]string{
			CRINamespaceAnnotation: "shop", CRIONamespaceAnnotation: "kube-system"}, ownNet),
			`the container's namespace is unknown: annotations "io.kubernetes.cri.sandbox-namespace" ("shop") and ` +
				`"io.kubernetes.pod.namespace" ("kube-system") disagree on the container's namespace`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.p.Decide(tt.c, listen)
			if d.Granted || !strings.Contains(d.Reason, tt.want) {
				t.Fatalf("got %v %q, want refused with %q", d.Granted, d.Reason, tt.want)
			}
			var re *RefusedError
			if !errors.As(d.Err(), &re) || re.Key != listen.Key || re.Source != listen.Source {
				t.Errorf("Err() = %#v, want a *RefusedError for the request", d.Err())
			}
		})
	}
}

// TestDecideThousand decides 1,000 requests of one container: each gets
// the same answer as alone, none is lost or mixed with another.
func TestDecideThousand(t *testing.T) {
	p := mustDecode(t, examplePath, examplePolicy)
	c := ContainerOf("c1", map[string]string{CRINamespaceAnnotation: "shop"}, ownNet)
	granted := 0
	for i := range 1000 {
		r := Request{Key: fmt.Sprintf("fd.ww.dev/fd%d", i), Source: fmt.Sprintf("listen:tcp::%d", 1000+i)}
		if i%2 == 1 {
			r.Source = fmt.Sprintf("file:/etc/f%d", i)
		}
		d := p.Decide(c, r)
		if d.Granted != (i%2 == 0) || d.Key != r.Key || d.Source != r.Source || d.Namespace != "shop" {
			t.Fatalf("request %d: %+v", i, d)
		}
		if d.Granted {
			granted++
		}
	}
	if granted != 500 {
		t.Errorf("granted %d of 1000, want 500", granted)
	}
}

func BenchmarkDecide(b *testing.B) {
	p := mustDecode(b, examplePath, examplePolicy)
	c := Container{Namespace: "team-a", Network: ownNet}
	r := Request{Key: "fd.ww.dev/db", Source: "unix:/run/team/db.sock"}
	for b.Loop() {
		if d := p.Decide(c, r); !d.Granted {
			b.Fatal(d.Reason)
		}
	}
}

func TestDecisionAction(t *testing.T) {
	p := mustDecode(t, examplePath, examplePolicy)
	tests := []struct {
		name, ns, source, want string
		net                    Network
	}{
		{"listen in own network, bind there", "shop", "listen:tcp::8080", "bind listen:tcp::8080 in network namespace /run/netns/cni-1", ownNet},
		{"listen on the node, bind there", Local, "listen:udp::53", "bind listen:udp::53 in the node's network", Network{Kind: NetworkHost}},
		{"file beneath, open beneath", Local, "file:/srv/shared/a", "open file:/srv/shared/a beneath /srv/shared", ownNet},
		{"unix socket beneath, no network named", Local, "unix:/run/app-sockets/s", "connect to unix:/run/app-sockets/s beneath /run/app-sockets", ownNet},
		{"tcp, from the node", Local, "tcp:10.0.0.5:5432", "connect to tcp:10.0.0.5:5432 in the node's network", ownNet},
		{"file resource, open it", "shop", "node:applog", `open resource "applog", file:/var/log/apps/shop.log?mode=a&create=0640`, ownNet},
		{"unix resource, connect to it", "shop", "node:pg", `connect to resource "pg", unix:/run/postgresql/.s.PGSQL.5432`, ownNet},
		{"listen resource, bind on the node", Local, "node:web", `bind resource "web", listen:tcp::80, in the node's network`, ownNet},
		{"refused, nothing", "shop", "file:/etc/shadow", "nothing", ownNet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := p.Decide(Container{Namespace: tt.ns, Network: tt.net}, Request{Key: "k", Source: tt.source})
			if got := d.Action(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
