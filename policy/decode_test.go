package policy

import (
	"slices"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	p := mustDecode(t, examplePath, examplePolicy+"audit: /var/log/ww/audit.jsonl\n")
	var names []string
	for _, r := range p.Resources() {
		names = append(names, r.Name+"="+r.Source.Text+" "+strings.Join(r.Namespaces, ","))
	}
	want := []string{
		"applog=file:/var/log/apps/shop.log?mode=a&create=0640 shop",
		"pg=unix:/run/postgresql/.s.PGSQL.5432 shop,team-*",
		"web=listen:tcp::80 @local",
	}
	if !slices.Equal(names, want) {
		t.Errorf("resources %q, want %q", names, want)
	}
	raw := p.Raw()
	if len(raw) != 3 || !slices.Equal(raw[0].Files, []string{"/srv/shared"}) ||
		!slices.Equal(raw[2].TCP, []string{"db.example.com:5432", "[::1]:6379"}) {
		t.Errorf("raw %+v", raw)
	}
	if got := p.HostNetwork(); !slices.Equal(got, []string{"ingress", Local}) {
		t.Errorf("hostNetwork %q", got)
	}
	if p.Audit() != "/var/log/ww/audit.jsonl" || p.Path() != examplePath || p.IsDefault() || p.Err() != nil {
		t.Errorf("audit %q, path %q, default %v, err %v", p.Audit(), p.Path(), p.IsDefault(), p.Err())
	}
	if p.Hooks() {
		t.Error("hooks on in a policy without the key")
	}
	for text, want := range map[string]bool{"hooks: true\n": true, "hooks: false\n": false} {
		if got := mustDecode(t, examplePath, examplePolicy+text).Hooks(); got != want {
			t.Errorf("%q: hooks %v, want %v", text, got, want)
		}
	}
	// The accessors hand out copies.
	raw[0].Files[0] = "/"
	if p.Raw()[0].Files[0] != "/srv/shared" {
		t.Error("Raw shares its slices with the policy")
	}
}

// decodeDefaultCases are policies that grant nothing, and the
// hostNetwork namespaces each has.
func decodeDefaultCases() []struct {
	name, yaml  string
	hostNetwork []string
} {
	return []struct {
		name, yaml  string
		hostNetwork []string
	}{
		{"version only, @local on the node's network", "version: 1\n", []string{Local}},
		{"empty hostNetwork list, no one", "version: 1\nhostNetwork:\n  namespaces: []\n", []string{}},
		{"null resources and raw, nothing", "version: 1\nresources:\nraw:\n", []string{Local}},
		{"JSON, accepted as YAML", `{"version": 1, "hostNetwork": {"namespaces": ["ingress"]}}`, []string{"ingress"}},
	}
}

func TestDecodeDefaults(t *testing.T) {
	for _, tt := range decodeDefaultCases() {
		t.Run(tt.name, func(t *testing.T) {
			p := mustDecode(t, "p", tt.yaml)
			if got := p.HostNetwork(); !slices.Equal(got, tt.hostNetwork) {
				t.Errorf("hostNetwork %q, want %q", got, tt.hostNetwork)
			}
			if len(p.Resources()) != 0 || len(p.Raw()) != 0 || p.Audit() != "" {
				t.Errorf("grants more: %+v", p)
			}
		})
	}
}

// decodeErrorCases has a row for each way a file can be wrong, and a
// part of the error.
func decodeErrorCases() []struct{ name, yaml, want string } {
	res := func(body string) string { return "version: 1\nresources:\n  pg:\n" + body }
	rawRule := func(body string) string { return "version: 1\nraw:\n  - namespaces: [shop]\n" + body }
	return []struct{ name, yaml, want string }{
		{"empty file, error", "", `the file is empty; a policy has at least "version: 1"`},
		{"comment only, error", "# nothing\n", `the file is empty`},
		{"a list, error", "- version: 1\n", `want a mapping, got a list`},
		{"YAML syntax, error", "version: 1\nraw: [\n", `line 2:6: "[" not closed on its line`},
		{"key twice, error", "version: 1\nversion: 1\n", `line 2:1: key "version" given twice`},
		{"no version, error", "raw: []\n", `version: missing; this format is version: 1`},
		{"version 2, error", "version: 2\n", `version: want 1, got a number (2)`},
		{"version as a string, error", "version: \"1\"\n", `version: want 1, got a string`},
		{"unknown top key, error", "version: 1\nresource: {}\n", `resource: unknown key (known: version, resources, raw, hostNetwork, audit, hooks)`},
		{"hooks a string, error", "version: 1\nhooks: \"true\"\n", `hooks: want true or false, got a string`},
		{"hooks a number, error", "version: 1\nhooks: 1\n", `hooks: want true or false, got a number (1)`},
		{"hooks empty, error", "version: 1\nhooks:\n", `hooks: want true or false, got nothing (null)`},
		{"odd-case key, error", "version: 1\nHostNetwork: {namespaces: []}\n", `HostNetwork: unknown key`},
		{"key with a space, error", "version: 1\n\"raw \": []\n", `["raw "]: unknown key`},
		{"resources a list, error", "version: 1\nresources: [pg]\n", `resources: want a mapping, got a list`},
		{"resource name with a dot, error", "version: 1\nresources:\n  p.g: {source: \"unix:/x\", namespaces: []}\n",
			`resources["p.g"]: resource name "p.g" has character '.'`},
		{"resource without a source, error", res("    namespaces: [shop]\n"), `resources.pg.source: missing`},
		{"resource without namespaces, error", res("    source: unix:/x\n"), `resources.pg.namespaces: missing; list namespace names, globs or @local`},
		{"resource unknown key, error", res("    source: unix:/x\n    namespace: [shop]\n"), `resources.pg.namespace: unknown key (known: source, namespaces)`},
		{"resource source a number, error", res("    source: 3\n    namespaces: []\n"), `resources.pg.source: want a string, got a number (3)`},
		{"resource fd source, error", res("    source: fd:3\n    namespaces: []\n"),
			`resources.pg.source: "fd:3": an fd number means nothing in a policy; name a file or socket`},
		{"resource bad source, error", res("    source: file:/x?mode=q\n    namespaces: []\n"),
			`resources.pg.source: "file:/x?mode=q": file mode "q" is not r, w, rw or a`},
		{"resource node source, error", res("    source: node:other\n    namespaces: []\n"),
			`resources.pg.source: "node:other": a resource cannot name another`},
		{"resource relative file, error", res("    source: file:log/x\n    namespaces: []\n"),
			`resources.pg.source: "file:log/x": path "log/x" is not absolute`},
		{"resource relative unix, error", res("    source: listen:unix:x.sock\n    namespaces: []\n"),
			`resources.pg.source: "listen:unix:x.sock": path "x.sock" is not absolute`},
		{"resource bad glob, error", res("    source: unix:/x\n    namespaces: [\"team-[\"]\n"),
			`resources.pg.namespaces[0]: glob "team-[": syntax error in pattern`},
		{"resource namespace yes, error", res("    source: unix:/x\n    namespaces: [yes]\n"),
			`resources.pg.namespaces[0]: want a string, got a boolean (true; quote a string such as "yes")`},
		{"raw a mapping, error", "version: 1\nraw: {files: [/srv]}\n", `raw: want a list, got a mapping`},
		{"raw rule without namespaces, error", "version: 1\nraw:\n  - files: [/srv]\n", `raw[0].namespaces: missing`},
		{"raw unknown key, error", rawRule("    folders: [/srv]\n"), `raw[0].folders: unknown key (known: namespaces, files, unix, tcp)`},
		{"raw relative folder, error", rawRule("    files: [/srv/shared, srv]\n"), `raw[0].files[1]: "srv": not an absolute path`},
		{"raw unclean folder, error", rawRule("    unix: [/run/x/]\n"), `raw[0].unix[0]: "/run/x/": not a clean path (want "/run/x")`},
		{"raw dot-dot folder, error", rawRule("    files: [/srv/../etc]\n"), `raw[0].files[0]: "/srv/../etc": not a clean path (want "/etc")`},
		{"raw folder with NUL, error", rawRule("    files: [\"/srv/\\0x\"]\n"), `raw[0].files[0]: "/srv/\x00x": has control character '\x00'`},
		{"raw folder empty, error", rawRule("    files: [\"\"]\n"), `raw[0].files[0]: empty string`},
		{"raw files a string, error", rawRule("    files: /srv\n"), `raw[0].files: want a list, got a string`},
		{"raw tcp without port, error", rawRule("    tcp: [10.0.0.5]\n"), `raw[0].tcp[0]: "10.0.0.5": not HOST:PORT: source "tcp:10.0.0.5" has no port`},
		{"raw tcp with options, error", rawRule("    tcp: [\"10.0.0.5:1?timeout=1s\"]\n"), `raw[0].tcp[0]: "10.0.0.5:1?timeout=1s": not HOST:PORT (no options here)`},
		{"raw tcp port 0, error", rawRule("    tcp: [\"db:0\"]\n"), `raw[0].tcp[0]: "db:0": not HOST:PORT: port 0 of "tcp:db:0" can be listened on`},
		{"raw tcp a number, error", rawRule("    tcp: [5432]\n"), `raw[0].tcp[0]: want a string, got a number (5432)`},
		{"hostNetwork null, error", "version: 1\nhostNetwork:\n", `hostNetwork: want a mapping, got nothing (null)`},
		{"hostNetwork without namespaces, error", "version: 1\nhostNetwork: {}\n", `hostNetwork.namespaces: missing`},
		{"hostNetwork bad namespace, error", "version: 1\nhostNetwork: {namespaces: [Ingress]}\n",
			`hostNetwork.namespaces[0]: "Ingress" is not a Kubernetes namespace name`},
		{"audit relative, error", "version: 1\naudit: audit.jsonl\n", `audit: "audit.jsonl": not an absolute path`},
		{"audit a list, error", "version: 1\naudit: [/x]\n", `audit: want a string, got a list`},
		{"value over 4096 bytes, error", rawRule("    files: [/" + strings.Repeat("a", 5000) + "]\n"), `raw[0].files[0]: "/aaaa`},
		{"over 1 MiB, error", "version: 1\n#" + strings.Repeat("x", 1<<20) + "\n", `1048589 bytes, more than the 1048576 a policy may have`},
	}
}

// TestDecodeErrors checks that each error names the file, the key path
// and the value, or the line and column.
func TestDecodeErrors(t *testing.T) {
	for _, tt := range decodeErrorCases() {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Decode("/etc/ww/policy.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("decoded %+v, want error %q", p, tt.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "policy /etc/ww/policy.yaml: ") || !strings.Contains(msg, tt.want) {
				t.Errorf("got  %s\nwant policy /etc/ww/policy.yaml: …%s…", msg, tt.want)
			}
			if strings.Contains(msg, "\n") || len(msg) > 800 {
				t.Errorf("error is not one short line: %d bytes", len(msg))
			}
		})
	}
}

// TestDecodeNamesFirstBadResource checks that of several resources in
// error the first by name is the one named, whatever order the map
// holds them in.
func TestDecodeNamesFirstBadResource(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nresources:\n")
	for _, name := range []string{"m", "z", "b", "q", "c"} {
		b.WriteString("  " + name + ": {source: \"file:/dev/null\", namespaces: [\"@local\"]}\n")
	}
	b.WriteString("  x: {source: \"relative\", namespaces: [\"@local\"]}\n")
	b.WriteString("  d: {source: \"file:/dev/null\", namespaces: [\"Bad_NS\"]}\n")
	for range 30 {
		_, err := Decode("/etc/ww/policy.yaml", []byte(b.String()))
		if err == nil || !strings.Contains(err.Error(), "resources.d.namespaces") {
			t.Fatalf("error %v, want it to name resources.d, the first bad one", err)
		}
	}
}
