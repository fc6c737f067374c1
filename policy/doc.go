// Package policy is the node policy of ww runtime: which of the fds that
// a container's annotations ask for (fd.ww.dev/NAME: SOURCE) ww opens, as
// root, and how. Annotations are written by whoever writes the pod or the
// container; they are requests, and the node decides. The flags of
// ww run, the user's own fds, are never judged here.
//
// # The file
//
// /etc/ww/policy.yaml (DefaultPath), or the file that WW_POLICY (PathEnv)
// names in the runtime's environment. YAML, decoded strictly: a key given
// twice, an unknown key, a value of the wrong type, a bad source, glob,
// folder or HOST:PORT is an error naming the key path and the value.
// The YAML is the plain subset of the example below: block mappings and
// lists indented with spaces, [flow, lists] and {flow: mappings} that end
// on their line, plain and quoted values on one line, comments; JSON on
// one line too. Anchors, aliases, tags, | and > block scalars, values
// over several lines and more documents are refused with the line and
// column. Unquoted values are read as YAML 1.1 reads them: yes, no, on
// and off are booleans, ~ and null nothing, 010 the number 8; quote them to
// mean the text.
//
//	version: 1                 # required, and 1
//	resources:                 # node:NAME, written by the node's administrator
//	  pg:
//	    source: unix:/run/postgresql/.s.PGSQL.5432   # any source but an fd
//	    namespaces: [shop, "team-*"]
//	raw:                       # sources spelled out in annotations
//	  - namespaces: ["@local"]
//	    files: [/srv/shared]          # file: beneath these folders
//	    unix: [/run/app-sockets]      # unix: and listen:unix: beneath these
//	    tcp: ["10.0.0.5:5432"]        # tcp: to these, exactly
//	hostNetwork:               # listen: in the node's network
//	  namespaces: [ingress, "@local"]
//	audit: /var/log/ww/audit.jsonl
//
// A namespace entry is a Kubernetes namespace name, a glob of path.Match
// over namespace names ("team-*", "*"), or "@local" (Local): every
// container without a Kubernetes namespace. Globs never match Local.
// Without a hostNetwork key, hostNetwork.namespaces is ["@local"]; with
// one, it is exactly what it lists.
//
// The file must be a regular file owned by root (or by the user the
// runtime runs as) that its group and others cannot write. A missing file
// means Default; a file that cannot be read or decoded refuses every
// request (Failed), while containers that ask for nothing still run.
//
// # The decision
//
// Policy.Decide is a pure function of the policy, the container
// (namespace and network namespace) and the request; see it for the
// rules. Its Decision says what to open (Open, which for node:NAME is the
// resource's source), beneath which folder (Beneath, Rel) and in which
// network namespace (Network); a refusal's Err names the annotation, the
// source and the reason:
//
//	annotation "fd.ww.dev/db": "file:/etc/shadow": not allowed for namespace "shop" by node policy /etc/ww/policy.yaml
//
// Values in messages are quoted and cut after 200 bytes.
//
// # The gate
//
// ww runtime judges every request of a create before it opens anything:
//
//	path, err := policy.PathFromEnv(env)  // an error: refuse every request
//	p, err := policy.LoadDefault(path)
//	if err != nil {
//		p = policy.Failed(path, err)        // fail closed, with the reason
//	}
//	c := policy.ContainerOf(id, annotations, policy.ConfigNetwork(hasNetEntry, netPath))
//	for _, r := range requests {
//		d := p.Decide(c, r)
//		// with p.Audit() set: audit.Record(time.Now(), c, d)
//		if err := d.Err(); err != nil {
//			return err                      // nothing opened yet
//		}
//	}
//
// Load the policy only for a config that asks for fds. A netPath that is
// ww's own network namespace (same device and inode as
// /proc/self/ns/net) must become Network{Kind: NetworkHost}, or a
// container could pass the node's network off as its own. An audit file that cannot be opened or
// written should fail the create: a grant that leaves no record is what
// an audit exists to prevent.
//
// Then the opener, for each granted Decision:
//
//   - Beneath set (file:, unix:, listen:unix: from raw): resolve Rel from
//     an O_PATH fd of Beneath with openat2 RESOLVE_BENEATH and
//     RESOLVE_NO_MAGICLINKS (or an equivalent walk where openat2 is
//     missing), O_NOCTTY, and refuse device nodes; a socket is reached
//     through its folder's fd (/proc/self/fd/N/NAME) so that connect and
//     bind stay beneath too.
//   - Network.Kind NetworkOwn: bind in the namespace at Network.Path,
//     entered with setns on a locked OS thread that is never unlocked, so
//     that it is thrown away with the goroutine.
//   - Network.Kind NetworkHost: the node's network, where ww already is.
//   - A node: resource (Resource set) is opened as written: the
//     administrator chose it, device nodes included.
package policy
