package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testPolicyYAML is a node policy with something for each kind of
// namespace entry.
const testPolicyYAML = `version: 1
resources:
  pg:
    source: unix:/run/postgresql/.s.PGSQL.5432
    namespaces: [shop, "team-*"]
raw:
  - namespaces: ["@local"]
    files: [/srv/shared]
    tcp: ["10.0.0.5:5432"]
hostNetwork:
  namespaces: [ingress]
audit: /var/log/ww/audit.jsonl
`

// writeTestPolicy writes content as a policy file with mode and returns
// its path.
func writeTestPolicy(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPolicyCheck(t *testing.T) {
	good := writeTestPolicy(t, testPolicyYAML, 0o644)
	missing := filepath.Join(t.TempDir(), "none.yaml")
	bad := writeTestPolicy(t, "version: 1\nraw:\n  - namespaces: [shop]\n    files: [srv]\n", 0o644)
	writable := writeTestPolicy(t, testPolicyYAML, 0o666)
	hooked := writeTestPolicy(t, "version: 1\nhooks: true\n", 0o644)
	tests := []struct {
		name   string
		env    string // WW_POLICY
		args   []string
		code   int
		stdout []string // lines that must be there, in order
		stderr string
	}{
		{"FILE, what it grants per namespace", missing, []string{good}, 0, []string{
			"Node policy " + good + " is valid.",
			"Every decision is appended to /var/log/ww/audit.jsonl.",
			"@local (containers outside Kubernetes):",
			"  listen:                not in the node's network: hostNetwork does not list @local",
			"  file:                  beneath /srv/shared",
			"  tcp:                   10.0.0.5:5432",
			`namespace "ingress":`,
			"  listen:                in the node's network, when the container has none of its own",
			`namespace "shop":`,
			"  node:pg                unix:/run/postgresql/.s.PGSQL.5432",
			`namespaces matching "team-*":`,
			"  node:pg                unix:/run/postgresql/.s.PGSQL.5432",
		}, ""},
		{"WW_POLICY, its grants", good, nil, 0, []string{"Node policy " + good + " is valid."}, ""},
		{"hooks: true, said", missing, []string{hooked}, 0, []string{
			"Node policy " + hooked + " is valid.",
			"ww runtime adds ww hook's createRuntime and poststop hooks to the configs it edits.",
		}, ""},
		{"WW_POLICY missing, the default", missing, nil, 0, []string{
			"No file at " + missing + ": the built-in default policy applies.",
			"@local (containers outside Kubernetes):",
			"  listen:                in the node's network, when the container has none of its own",
		}, ""},
		{"FILE missing, error", good, []string{missing}, 1, nil,
			"ww: policy " + missing + ": no such file or directory\n"},
		{"FILE malformed, the key path", good, []string{bad}, 1, nil,
			"ww: policy " + bad + `: raw[0].files[0]: "srv": not an absolute path` + "\n"},
		{"FILE writable by others, refused", good, []string{writable}, 1, nil,
			"ww: policy " + writable + ": writable by its group or by others (mode 0666): refused; chmod go-w it\n"},
		{"WW_POLICY malformed, error", bad, nil, 1, nil, "ww: policy " + bad + `: raw[0].files[0]: "srv": not an absolute path` + "\n"},
		{"WW_POLICY relative, bad input", "policy.yaml", nil, 2, nil, `ww: WW_POLICY="policy.yaml": not an absolute path` + "\n"},
		{"two FILEs, bad input", good, []string{good, good}, 2, nil, fmt.Sprintf("ww: policy check [%q %q]: one FILE at most\n", good, good)},
		{"unknown flag, bad input", good, []string{"--verbose"}, 2, nil, `ww: unknown flag "--verbose"` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runWW(t, nil, withPolicy(cleanEnv(), tt.env), append([]string{"policy", "check"}, tt.args...)...)
			if res.code != tt.code || res.stderr != tt.stderr {
				t.Fatalf("exit %d, stderr %q; want %d, %q\nstdout:\n%s", res.code, res.stderr, tt.code, tt.stderr, res.stdout)
			}
			checkLines(t, res.stdout, tt.stdout)
		})
	}
}

// checkLines checks that out has want among its lines, in that order.
func checkLines(t *testing.T, out string, want []string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	i := 0
	for _, line := range lines {
		if i < len(want) && line == want[i] {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("line %q missing or out of order in:\n%s", want[i], out)
	}
}

func TestPolicyTest(t *testing.T) {
	good := writeTestPolicy(t, testPolicyYAML, 0o644)
	missing := filepath.Join(t.TempDir(), "none.yaml")
	writable := writeTestPolicy(t, testPolicyYAML, 0o620)
	tests := []struct {
		name   string
		env    string
		args   []string
		code   int
		stdout []string
	}{
		{"listen in own network, granted", good, []string{"--namespace", "shop", "http=listen:tcp::8080"}, 0, []string{
			`Under node policy ` + good + `, for a container of namespace "shop" (network: own):`,
			`annotation "fd.ww.dev/http": "listen:tcp::8080": granted`,
			"  bind listen:tcp::8080 in network namespace /proc/<pid>/ns/net",
			"  why: listening in the container's own network namespace (/proc/<pid>/ns/net) is always granted",
		}},
		{"shadow file, refused with the reason", good, []string{"--namespace", "shop", "fd.ww.dev/db=file:/etc/shadow"}, 1, []string{
			`annotation "fd.ww.dev/db": "file:/etc/shadow": refused`,
			`  why: not allowed for namespace "shop" by node policy ` + good,
		}},
		{"resource, granted by the glob", good, []string{"--namespace=team-a", "app.fd.ww.dev/pg=node:pg"}, 0, []string{
			`annotation "app.fd.ww.dev/pg": "node:pg": granted`,
			`  connect to resource "pg", unix:/run/postgresql/.s.PGSQL.5432`,
			`  why: resource "pg" (unix:/run/postgresql/.s.PGSQL.5432) is granted to "team-a" (as "team-*") by node policy ` + good,
		}},
		{"one of two refused, exit 1", good, []string{"--namespace", "@local", "a=file:/srv/shared/a", "b=tcp:10.0.0.6:5432"}, 1, []string{
			`annotation "fd.ww.dev/a": "file:/srv/shared/a": granted`,
			"  open file:/srv/shared/a beneath /srv/shared",
			`annotation "fd.ww.dev/b": "tcp:10.0.0.6:5432": refused`,
		}},
		{"host network for shop, refused", good, []string{"--namespace", "shop", "--network", "host", "l=listen:udp::53"}, 1, []string{
			`annotation "fd.ww.dev/l": "listen:udp::53": refused`,
		}},
		{"host network for ingress, granted", good, []string{"--namespace", "ingress", "--network", "host", "l=listen:udp::53"}, 0, []string{
			"  bind listen:udp::53 in the node's network",
		}},
		{"a network namespace path, bound there", good, []string{"--namespace", "shop", "--network", "/run/netns/x", "l=listen:unix:@a"}, 0, []string{
			"  bind listen:unix:@a in network namespace /run/netns/x",
		}},
		{"no policy file, the default: @local with no network listens on the node", missing,
			[]string{"--namespace", "@local", "--network", "none", "l=listen:tcp::80"}, 0, []string{
				`Under the default node policy (no file at ` + missing + `), for a container of namespace "@local" (network: none):`,
				"  bind listen:tcp::80 in the node's network",
			}},
		{"unusable policy file at WW_POLICY, every request refused", writable, []string{"--namespace", "shop", "l=listen:tcp::80"}, 1, []string{
			`annotation "fd.ww.dev/l": "listen:tcp::80": refused`,
			"  why: every fd request is refused: policy " + writable + ": writable by its group or by others (mode 0620): refused; chmod go-w it",
		}},
		{"--policy, used over WW_POLICY", missing, []string{"--policy", good, "--namespace", "shop", "pg=node:pg"}, 0, []string{
			`annotation "fd.ww.dev/pg": "node:pg": granted`,
		}},
		{"newline in a source, refused and escaped", good, []string{"--namespace", "shop", "x=listen:tcp::80\nx"}, 1, []string{
			`annotation "fd.ww.dev/x": "listen:tcp::80\nx": refused`,
			`  why: the source has control character '\n'`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runWW(t, nil, withPolicy(cleanEnv(), tt.env), append([]string{"policy", "test"}, tt.args...)...)
			if res.code != tt.code || res.stderr != "" {
				t.Fatalf("exit %d, stderr %q; want %d\nstdout:\n%s", res.code, res.stderr, tt.code, res.stdout)
			}
			checkLines(t, res.stdout, tt.stdout)
		})
	}
}

func TestPolicyTestBadInput(t *testing.T) {
	good := writeTestPolicy(t, testPolicyYAML, 0o644)
	bad := writeTestPolicy(t, "version: 2\n", 0o644)
	missing := filepath.Join(t.TempDir(), "none.yaml")
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no --namespace, error", []string{"l=listen:tcp::80"}, "ww: --namespace is missing: a Kubernetes namespace, or @local"},
		{"upper-case namespace, error", []string{"--namespace", "Shop", "l=listen:tcp::80"},
			`ww: --namespace "Shop": "Shop" is not a Kubernetes namespace name (lower-case letters, digits and '-')`},
		{"glob as namespace, error", []string{"--namespace", "team-*", "l=listen:tcp::80"},
			`ww: --namespace "team-*": "team-*" is not a Kubernetes namespace name (lower-case letters, digits and '-')`},
		{"bad --network, error", []string{"--namespace", "shop", "--network", "pod", "l=listen:tcp::80"},
			`ww: --network "pod": not own, host, none or an absolute path`},
		{"no request, error", []string{"--namespace", "shop"}, "ww: policy test: no KEY=SOURCE to test"},
		{"no =, error", []string{"--namespace", "shop", "listen:tcp::80"}, `ww: "listen:tcp::80": not KEY=SOURCE`},
		{"empty KEY, error", []string{"--namespace", "shop", "=listen:tcp::80"}, `ww: "=listen:tcp::80": KEY is empty`},
		{"--policy missing, error", []string{"--namespace", "shop", "--policy", missing, "l=listen:tcp::80"},
			fmt.Sprintf("ww: --policy %q: policy %s: no such file or directory", missing, missing)},
		{"--policy malformed, error", []string{"--namespace", "shop", "--policy", bad, "l=listen:tcp::80"},
			fmt.Sprintf("ww: --policy %q: policy %s: version: want 1, got a number (2)", bad, bad)},
		{"--namespace without a value, error", []string{"--namespace"}, "ww: --namespace needs a value"},
		{"unknown flag, error", []string{"--ns", "shop"}, `ww: unknown flag "--ns"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runWW(t, nil, withPolicy(cleanEnv(), good), append([]string{"policy", "test"}, tt.args...)...)
			if res.code != 2 || res.stderr != tt.stderr+"\n" || res.stdout != "" {
				t.Fatalf("exit %d, stderr %q, stdout %q; want 2, %q", res.code, res.stderr, res.stdout, tt.stderr)
			}
		})
	}
}

// TestPolicyTestThousand asks about 1,000 requests at once.
func TestPolicyTestThousand(t *testing.T) {
	args := []string{"policy", "test", "--namespace", "shop"}
	for i := range 1000 {
		args = append(args, fmt.Sprintf("fd%d=listen:tcp::%d", i, 2000+i))
	}
	res := runWW(t, nil, withPolicy(cleanEnv(), filepath.Join(t.TempDir(), "none.yaml")), args...)
	if res.code != 0 || res.stderr != "" || strings.Count(res.stdout, ": granted\n") != 1000 {
		t.Fatalf("exit %d, stderr %q, %d granted", res.code, res.stderr, strings.Count(res.stdout, ": granted\n"))
	}
}

func TestPolicyUsage(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"no command, usage", []string{"policy"}, 0, "Usage:\n  ww policy check [FILE]\n", ""},
		{"--help, usage", []string{"policy", "--help"}, 0, "Usage:\n  ww policy check [FILE]\n", ""},
		{"check -h, usage", []string{"policy", "check", "-h"}, 0, "Usage:\n  ww policy check [FILE]\n", ""},
		{"test -h, usage and flags", []string{"policy", "test", "-h"}, 0, "Usage:\n  ww policy check [FILE]\n", ""},
		{"unknown command, error", []string{"policy", "show"}, 2, "", "ww: unknown policy command \"show\" (see ww policy --help)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runWW(t, nil, cleanEnv(), tt.args...)
			if res.code != tt.code || !strings.HasPrefix(res.stdout, tt.stdout) || res.stderr != tt.stderr {
				t.Fatalf("exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
			}
		})
	}
	res := runWW(t, nil, cleanEnv(), "policy", "test", "-h")
	if !strings.Contains(res.stdout, "Flags of test:\n  -namespace NS\n") {
		t.Errorf("test -h does not list the flags:\n%s", res.stdout)
	}
}

// TestPolicyTestHostName: ww policy test says what ww runtime would do,
// which refuses a host name that the policy allows, as it resolves none.
func TestPolicyTestHostName(t *testing.T) {
	p := writeTestPolicy(t, "version: 1\nraw:\n  - namespaces: [\"@local\"]\n    tcp: [\"localhost:5432\", \"127.0.0.1:5432\"]\n", 0o644)
	r := runWW(t, nil, cleanEnv(), "policy", "test", "--namespace", "@local", "--policy", p,
		"fd.ww.dev/db=tcp:localhost:5432", "fd.ww.dev/ip=tcp:127.0.0.1:5432")
	if r.code != 1 || !strings.Contains(r.stdout, `"tcp:localhost:5432": refused`) ||
		!strings.Contains(r.stdout, "resolves no names") || !strings.Contains(r.stdout, `"tcp:127.0.0.1:5432": granted`) {
		t.Errorf("exit %d, stdout:\n%s\nwant the name refused and the address granted", r.code, r.stdout)
	}
}
