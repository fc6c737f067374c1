package policy

import (
	"os"
	"path/filepath"
	"testing"
)

// examplePolicy is the policy most tests decide under: each kind of
// namespace entry (a name, a glob, @local) gets something.
const examplePolicy = `version: 1
resources:
  pg:
    source: unix:/run/postgresql/.s.PGSQL.5432
    namespaces: [shop, "team-*"]
  applog:
    source: file:/var/log/apps/shop.log?mode=a&create=0640
    namespaces: [shop]
  web:
    source: listen:tcp::80
    namespaces: ["@local"]
raw:
  - namespaces: ["@local"]
    files: [/srv/shared]
    unix: [/run/app-sockets]
    tcp: ["10.0.0.5:5432"]
  - namespaces: [shop]
    files: [/srv/shop]
  - namespaces: ["team-*"]
    unix: [/run/team]
    tcp: ["db.example.com:5432", "[::1]:6379"]
hostNetwork:
  namespaces: [ingress, "@local"]
`

// writeIn writes content to policy.yaml in dir, with mode (whatever the
// umask), and returns its path.
func writeIn(t *testing.T, dir, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// mustDecode decodes content as the policy at path, or fails the test.
func mustDecode(t testing.TB, path, content string) *Policy {
	t.Helper()
	p, err := Decode(path, []byte(content))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ownNet is the network of a container with a namespace of its own.
var ownNet = Network{Kind: NetworkOwn, Path: "/run/netns/cni-1"}
