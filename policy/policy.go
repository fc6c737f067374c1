package policy

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ww-dev/ww/fdmgr"
)

// DefaultPath is where ww runtime looks for the node policy.
const DefaultPath = "/etc/ww/policy.yaml"

// PathEnv names the variable that overrides DefaultPath in the runtime's
// environment.
const PathEnv = "WW_POLICY"

// Version is the only policy format version there is.
const Version = 1

// Policy is a node policy: what annotations may ask ww runtime to open.
// A *Policy is valid by construction (Decode, Load, LoadDefault, Default,
// Failed) and never changes afterwards, so one value may be shared by
// goroutines. Its accessors return copies.
type Policy struct {
	// path is the file the policy is, or would be, read from; it names
	// the policy in every message.
	path   string
	origin origin
	// err is why a failed policy could not be read or decoded.
	err         error
	resources   map[string]Resource
	raw         []RawRule
	hostNetwork []string
	audit       string
	hooks       bool
}

// origin tells where a Policy came from.
type origin int

const (
	fromFile    origin = iota // decoded from a file
	fromDefault               // no file: the built-in default
	fromFailure               // the file could not be used: refuse all
)

// Resource is a node resource: a source the node's administrator wrote
// down, asked for as node:NAME by the namespaces listed.
type Resource struct {
	Name       string
	Source     fdmgr.Source
	Namespaces []string // Kubernetes namespace names, globs or Local
}

// RawRule lets the namespaces listed spell sources out in annotations:
// files and unix sockets beneath folders, TCP destinations exactly.
type RawRule struct {
	Namespaces []string
	Files      []string // file: beneath these folders (absolute, clean)
	Unix       []string // unix: and listen:unix: beneath these folders
	TCP        []string // tcp: to these HOST:PORT, as written in the file
	tcp        []hostPort
}

// hostPort is a parsed entry of RawRule.TCP.
type hostPort struct {
	host string
	port int
}

// Default is the policy that applies when no file exists at path: every
// container may listen in its own network namespace, and containers
// outside Kubernetes (Local) in the node's network; nothing else.
func Default(path string) *Policy {
	return &Policy{path: path, origin: fromDefault, hostNetwork: []string{Local}}
}

// Failed is the policy of a node whose policy file at path cannot be
// used: every request is refused, with err in the reason. A gate that
// gets an error from Load or LoadDefault uses Failed(path, err), so that
// containers asking for nothing still run and every refusal says why.
func Failed(path string, err error) *Policy {
	return &Policy{path: path, origin: fromFailure, err: err}
}

// Path is the file the policy was read from, or would have been.
func (p *Policy) Path() string { return p.path }

// IsDefault reports whether p is the built-in default (no file).
func (p *Policy) IsDefault() bool { return p.origin == fromDefault }

// Err is why a policy made by Failed refuses everything; nil otherwise.
func (p *Policy) Err() error { return p.err }

// Audit is the file that every decision is appended to, "" for none.
func (p *Policy) Audit() string { return p.audit }

// Hooks reports whether ww runtime adds ww hook's createRuntime and
// poststop hooks to the config of every container it hands fds to: the
// file's hooks key, false by default. For engines without a hooks.d
// folder (containerd), it proves delivery and cleans up at the end.
func (p *Policy) Hooks() bool { return p.hooks }

// Resources returns the node resources, sorted by name.
func (p *Policy) Resources() []Resource {
	out := make([]Resource, 0, len(p.resources))
	for _, name := range slices.Sorted(maps.Keys(p.resources)) {
		r := p.resources[name]
		r.Namespaces = slices.Clone(r.Namespaces)
		out = append(out, r)
	}
	return out
}

// Raw returns the raw rules, in the file's order.
func (p *Policy) Raw() []RawRule {
	out := make([]RawRule, len(p.raw))
	for i, r := range p.raw {
		out[i] = RawRule{
			Namespaces: slices.Clone(r.Namespaces),
			Files:      slices.Clone(r.Files),
			Unix:       slices.Clone(r.Unix),
			TCP:        slices.Clone(r.TCP),
			tcp:        slices.Clone(r.tcp),
		}
	}
	return out
}

// HostNetwork returns the namespaces that may listen in the node's
// network: the file's hostNetwork.namespaces, or Local alone when the
// file has no hostNetwork key.
func (p *Policy) HostNetwork() []string { return slices.Clone(p.hostNetwork) }

// String names the policy in messages: "node policy /etc/ww/policy.yaml",
// "the default node policy (no file at …)", or, for Failed, the file
// with what is wrong with it.
func (p *Policy) String() string {
	if p == nil {
		return "no node policy"
	}
	switch p.origin {
	case fromDefault:
		return "the default node policy (no file at " + clip(p.path) + ")"
	case fromFailure:
		return "node policy " + clip(p.path) + " (unusable)"
	}
	return "node policy " + clip(p.path)
}

// PathFromEnv returns the policy file named by PathEnv in env, or
// DefaultPath when env has none (or an empty one). As os.Getenv does, the
// first PathEnv in env counts. A relative path is an error: the runtime's
// working directory is the bundle, whose files are not the node's.
func PathFromEnv(env []string) (string, error) {
	for _, kv := range env {
		v, ok := strings.CutPrefix(kv, PathEnv+"=")
		if !ok {
			continue
		}
		switch {
		case v == "":
			return DefaultPath, nil
		case !strings.HasPrefix(v, "/"):
			return "", fmt.Errorf("%s=%s: not an absolute path", PathEnv, quote(v))
		}
		return v, nil
	}
	return DefaultPath, nil
}
