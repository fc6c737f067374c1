package policy

import "strconv"

// NetworkKind tells which network namespace a container has, as its
// config.json's linux.namespaces says.
type NetworkKind int

const (
	// NetworkUnknown is the zero value: nothing is bound for a container
	// whose network is not known.
	NetworkUnknown NetworkKind = iota
	// NetworkOwn is a network namespace of the container's own, named by
	// path in config.json (a pod's, Podman's with a network).
	NetworkOwn
	// NetworkNew is a new, empty network namespace that the runtime makes
	// (a network entry without a path: podman --net=none). A socket bound
	// there could not be reached, so listeners are the node's.
	NetworkNew
	// NetworkHost is the node's own network namespace: the container has
	// no network entry (hostNetwork pods, --net=host), or, in a Decision,
	// the network ww binds or connects in.
	NetworkHost
)

// String names the kind for messages.
func (k NetworkKind) String() string {
	switch k {
	case NetworkUnknown:
		return "unknown"
	case NetworkOwn:
		return "own"
	case NetworkNew:
		return "new"
	case NetworkHost:
		return "host"
	}
	return "NetworkKind(" + strconv.Itoa(int(k)) + ")"
}

// Network is a container's network namespace.
type Network struct {
	Kind NetworkKind
	// Path is the namespace's path for NetworkOwn, from config.json; empty
	// otherwise.
	Path string
}

// ConfigNetwork is the Network that config.json's linux.namespaces
// describes: hasEntry is whether it holds an entry of type "network", and
// path that entry's path. The caller must pass NetworkHost instead when
// path names ww's own network namespace (same device and inode as
// /proc/self/ns/net): such a container shares the node's network.
func ConfigNetwork(hasEntry bool, path string) Network {
	switch {
	case !hasEntry:
		return Network{Kind: NetworkHost}
	case path == "":
		return Network{Kind: NetworkNew}
	}
	return Network{Kind: NetworkOwn, Path: path}
}

// Container is what a decision knows of the container that asks.
type Container struct {
	// Namespace is the container's Kubernetes namespace, or Local.
	Namespace string
	// ID and PodName are only recorded in the audit.
	ID, PodName string
	Network     Network
	// nsErr is why ContainerOf could not tell the namespace: every
	// request of the container is then refused with it.
	nsErr error
}

// ContainerOf returns the Container with id, the namespace and pod name
// that annotations give (NamespaceOf, PodNameOf) and network net. It
// never fails: when the namespace cannot be told, every Decide for the
// container refuses, naming why.
func ContainerOf(id string, annotations map[string]string, net Network) Container {
	ns, err := NamespaceOf(annotations)
	return Container{Namespace: ns, ID: id, PodName: PodNameOf(annotations), Network: net, nsErr: err}
}

// Request is one fd that an annotation asks for.
type Request struct {
	Key    string // the annotation's key, as written: fd.ww.dev/db
	Name   string // the fd's name; it plays no part in the decision
	Source string // the annotation's value, as written: file:/srv/x
}
