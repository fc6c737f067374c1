package policy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// namespaceKinds are the kinds of namespace a container has: a
// Kubernetes name listed as such, one that a glob matches, Local, and one
// that no entry names.
var namespaceKinds = []string{"shop", "team-a", Local, "other"}

// sourceRow is what one source gets from each namespace kind, under the
// example policy and under the default one. In the refusal texts, {ns}
// stands for the quoted namespace and {policy} for the policy's name.
type sourceRow struct {
	source string
	// grantedTo lists the namespace kinds the example policy grants it to;
	// refused is the reason the others get.
	grantedTo []string
	refused   string
	// byDefault is whether the default policy grants it (to every
	// namespace), and defaultRefused its reason otherwise.
	byDefault      bool
	defaultRefused string
}

const notAllowed = "not allowed for namespace {ns} by {policy}"

var everyNamespace = namespaceKinds

var sourceRows = []sourceRow{
	{"node:pg", []string{"shop", "team-a"}, `resource "pg" is ` + notAllowed, false, `no resource "pg" in {policy}`},
	{"node:applog", []string{"shop"}, `resource "applog" is ` + notAllowed, false, `no resource "applog" in {policy}`},
	{"node:web", []string{Local}, `resource "web" is ` + notAllowed, false, `no resource "web" in {policy}`},
	{"node:nope", nil, `no resource "nope" in {policy}`, false, `no resource "nope" in {policy}`},
	{"file:/srv/shared/a.txt", []string{Local}, notAllowed, false, notAllowed},
	{"file:/srv/shop/data?mode=rw", []string{"shop"}, notAllowed, false, notAllowed},
	{"file:/etc/shadow", nil, notAllowed, false, notAllowed},
	{"unix:/run/app-sockets/s.sock", []string{Local}, notAllowed, false, notAllowed},
	{"unix:/run/team/db.sock?timeout=2s", []string{"team-a"}, notAllowed, false, notAllowed},
	{"unix:@containerd-shim", nil, "connecting to an abstract unix socket is never granted", false,
		"connecting to an abstract unix socket is never granted"},
	{"tcp:10.0.0.5:5432", []string{Local}, notAllowed, false, notAllowed},
	{"tcp:DB.Example.com:5432", []string{"team-a"}, notAllowed, false, notAllowed},
	{"tcp:[0:0::1]:6379", []string{"team-a"}, notAllowed, false, notAllowed},
	{"tcp:127.0.0.1:2379", nil, notAllowed, false, notAllowed},
	{"listen:tcp::8080", everyNamespace, "", true, ""},
	{"listen:tcp6:[::1]:0", everyNamespace, "", true, ""},
	{"listen:udp::53", everyNamespace, "", true, ""},
	{"listen:udp6::53", everyNamespace, "", true, ""},
	{"listen:unix:@app", everyNamespace, "", true, ""},
	{"listen:unix:/run/app-sockets/l.sock", []string{Local}, notAllowed, false, notAllowed},
	{"listen:unix:/tmp/l.sock", nil, notAllowed, false, notAllowed},
	{"fd:3", nil, "an fd number means nothing in an annotation", false, "an fd number means nothing in an annotation"},
	{"3", nil, "an fd number means nothing in an annotation", false, "an fd number means nothing in an annotation"},
	{"ftp:x", nil, `source "ftp:x" is of no known kind`, false, `source "ftp:x" is of no known kind`},
}

// policyKind is one way the node's policy can be: loaded as ww runtime
// loads it, from a file that is there or not.
type policyKind struct {
	name string
	// file writes the policy file into dir and returns its path.
	file func(t *testing.T, dir string) string
	// failure is in the reason of every refusal of a policy that cannot
	// be used; "" for one that decides.
	failure string
	// explicit is whether the example policy decides, not the default.
	explicit bool
	rootOnly bool
}

var policyKinds = []policyKind{
	{name: "default", file: func(t *testing.T, dir string) string { return filepath.Join(dir, "policy.yaml") }},
	{name: "missing", file: func(t *testing.T, dir string) string { return filepath.Join(dir, "none", "policy.yaml") }},
	{name: "explicit", explicit: true, file: func(t *testing.T, dir string) string {
		return writeIn(t, dir, examplePolicy, 0o644)
	}},
	{name: "malformed", failure: "raw[0].folders: unknown key (known: namespaces, files, unix, tcp)",
		file: func(t *testing.T, dir string) string {
			return writeIn(t, dir, "version: 1\nraw:\n  - namespaces: [shop]\n    folders: [/srv]\n", 0o644)
		}},
	{name: "group-writable", failure: "writable by its group or by others (mode 0664): refused",
		file: func(t *testing.T, dir string) string { return writeIn(t, dir, examplePolicy, 0o664) }},
	{name: "not root-owned", failure: "owned by uid 4242, not by root or by uid 0 that ww runs as: refused", rootOnly: true,
		file: func(t *testing.T, dir string) string {
			path := writeIn(t, dir, examplePolicy, 0o644)
			if err := os.Chown(path, 4242, 4242); err != nil {
				t.Fatal(err)
			}
			return path
		}},
}

// loadAsGate loads the policy at path as the runtime's gate does.
func loadAsGate(path string) *Policy {
	p, err := LoadDefault(path)
	if err != nil {
		return Failed(path, err)
	}
	return p
}

// TestDecideTable decides every kind of source for every kind of
// namespace under every kind of policy file.
func TestDecideTable(t *testing.T) {
	for _, pk := range policyKinds {
		t.Run(pk.name, func(t *testing.T) {
			if pk.rootOnly && os.Geteuid() != 0 {
				t.Skip("needs root to give the policy file another owner")
			}
			path := pk.file(t, t.TempDir())
			p := loadAsGate(path)
			if pk.name == "default" {
				p = Default(path)
			}
			for _, row := range sourceRows {
				for _, ns := range namespaceKinds {
					checkDecision(t, pk, p, row, ns)
				}
			}
		})
	}
}

func checkDecision(t *testing.T, pk policyKind, p *Policy, row sourceRow, ns string) {
	t.Helper()
	granted, reason := row.byDefault, row.defaultRefused
	if pk.explicit {
		granted, reason = slices.Contains(row.grantedTo, ns), row.refused
	}
	if pk.failure != "" {
		granted, reason = false, "every fd request is refused: policy "+p.Path()+": "+pk.failure
	}
	outcome := "refused"
	if granted {
		outcome = "granted"
	}
	t.Run(row.source+" from "+ns+", "+outcome, func(t *testing.T) {
		c := Container{Namespace: ns, Network: ownNet}
		r := Request{Key: "fd.ww.dev/x", Name: "x", Source: row.source}
		d := p.Decide(c, r)
		if d.Granted != granted {
			t.Fatalf("granted = %v (%s), want %v", d.Granted, d.Reason, granted)
		}
		if granted {
			if d.Err() != nil || d.Open.Text == "" {
				t.Errorf("granted with Err %v, Open %+v", d.Err(), d.Open)
			}
			return
		}
		want := strings.NewReplacer("{ns}", quote(ns), "{policy}", p.String()).Replace(reason)
		msg := d.Err().Error()
		prefix := `annotation "fd.ww.dev/x": ` + quote(row.source) + ": "
		if !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, want) {
			t.Errorf("refusal:\n got %s\nwant %s…%s…", msg, prefix, want)
		}
		if d.Open != (Decision{}).Open || d.Beneath != "" || d.Network.Kind != NetworkUnknown {
			t.Errorf("refused, yet says what to open: %+v", d)
		}
	})
}
