package spec

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ww-dev/ww/fdmgr"
)

// The annotations ww reads from a spec. Each key has a general form, for
// every container that sees it, and a form scoped to one container,
// "<container-name>." in front; the scoped one wins.
const (
	// AnnotationDomain is the domain of ww's annotation keys.
	AnnotationDomain = "ww.dev"
	// FDAnnotationPrefix starts a key asking for a named fd:
	// "fd.ww.dev/<name>: <source>".
	FDAnnotationPrefix = "fd." + AnnotationDomain + "/"
	// OptionAnnotationPrefix starts a key setting an option:
	// "options.ww.dev/<option>: <value>".
	OptionAnnotationPrefix = "options." + AnnotationDomain + "/"
	// SystemdOption is the option that also passes the fds by systemd's
	// socket activation protocol: "options.ww.dev/systemd: true".
	SystemdOption = "systemd"
)

// The annotations Kubernetes runtimes put on a container's spec.
const (
	// CRIContainerNameAnnotation names the container under containerd's CRI.
	CRIContainerNameAnnotation = "io.kubernetes.cri.container-name"
	// KubeContainerNameAnnotation names the container under CRI-O.
	KubeContainerNameAnnotation = "io.kubernetes.container.name"
	// CRIContainerTypeAnnotation is "sandbox" on containerd's pause
	// container.
	CRIContainerTypeAnnotation = "io.kubernetes.cri.container-type"
	// CRIOContainerTypeAnnotation is "sandbox" on CRI-O's pause container.
	CRIOContainerTypeAnnotation = "io.kubernetes.cri-o.ContainerType"
	// SandboxContainerType is the container type of a pod's pause
	// container.
	SandboxContainerType = "sandbox"
)

// FDRequest is one named fd that a container's annotations ask for.
type FDRequest struct {
	Name   string // the fd's name, checked by fdmgr.ValidateName
	Source string // what to open, not yet parsed; never an fd number
	Key    string // the annotation it came from, for errors
}

// Options are the options a container's annotations set.
type Options struct {
	Systemd bool // also set LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID
}

// Requests is what a container's annotations ask of ww.
type Requests struct {
	FDs     []FDRequest // sorted by Name
	Options Options
}

// ContainerName is the name Kubernetes gave the container, "" outside
// Kubernetes.
func ContainerName(annotations map[string]string) string {
	if name := annotations[CRIContainerNameAnnotation]; name != "" {
		return name
	}
	return annotations[KubeContainerNameAnnotation]
}

// IsSandbox reports whether the annotations are those of a pod's pause
// container, which only holds the pod's namespaces and gets no fds. Each
// runtime sets its own key and passes the other's through from the pod's
// author: two keys that differ name no sandbox, so that an author cannot
// make an app container pass for one (whose requests ww hook would not
// prove).
func IsSandbox(annotations map[string]string) bool {
	cri, crio := annotations[CRIContainerTypeAnnotation], annotations[CRIOContainerTypeAnnotation]
	if cri != "" && crio != "" && cri != crio {
		return false
	}
	return cri == SandboxContainerType || crio == SandboxContainerType
}

// ParseAnnotations reads the fds and options that annotations ask for. A
// pod's pause container asks for nothing. Keys scoped to another container
// and keys of other domains are ignored.
func ParseAnnotations(annotations map[string]string) (Requests, error) {
	if IsSandbox(annotations) {
		return Requests{}, nil
	}
	container := ContainerName(annotations)
	keys := make([]string, 0, len(annotations))
	for k := range annotations {
		keys = append(keys, k)
	}
	// Sorted keys make the first error reported the same on every run.
	slices.Sort(keys)
	fds, err := parseFDs(annotations, keys, container)
	if err != nil {
		return Requests{}, err
	}
	opts, err := parseOptions(annotations, keys, container)
	if err != nil {
		return Requests{}, err
	}
	return Requests{FDs: fds, Options: opts}, nil
}

// parseFDs reads the fd annotations among keys. Names are the same when
// their fdmgr.EnvName is: the child could not tell them apart. Within the
// general keys, and within the scoped ones, that is an error; a scoped key
// overrides a general one.
func parseFDs(annotations map[string]string, keys []string, container string) ([]FDRequest, error) {
	general := make(map[string]FDRequest)
	scoped := make(map[string]FDRequest)
	for _, key := range keys {
		name, isScoped, ok := matchKey(key, FDAnnotationPrefix, container)
		if !ok {
			continue
		}
		source := annotations[key]
		if err := fdmgr.ValidateName(name); err != nil {
			return nil, fmt.Errorf("annotation %q: %w", key, err)
		}
		if err := checkSource(source); err != nil {
			return nil, fmt.Errorf("annotation %q: %w", key, err)
		}
		byEnv := general
		if isScoped {
			byEnv = scoped
		}
		env := fdmgr.EnvName(name)
		if prev, dup := byEnv[env]; dup {
			return nil, fmt.Errorf("annotations %q and %q: names %q and %q are the same fd, %s",
				prev.Key, key, prev.Name, name, env)
		}
		byEnv[env] = FDRequest{Name: name, Source: source, Key: key}
	}
	maps.Copy(general, scoped)
	fds := slices.Collect(maps.Values(general))
	slices.SortFunc(fds, func(a, b FDRequest) int { return strings.Compare(a.Name, b.Name) })
	return fds, nil
}

// checkSource refuses a source an annotation cannot mean: an fd number
// names an fd of whoever reads the spec, not one the pod's author chose.
func checkSource(source string) error {
	if source == "" {
		return errors.New("source is empty")
	}
	if isDigits(strings.TrimLeft(source, "+-")) || strings.HasPrefix(source, "fd:") {
		return fmt.Errorf("%q: an fd number means nothing in an annotation; name a file or socket", source)
	}
	return nil
}

// parseOptions reads the option annotations among keys. An unknown option
// in ww's domain is an error: it is most likely a typo.
func parseOptions(annotations map[string]string, keys []string, container string) (Options, error) {
	var general, scoped *bool
	for _, key := range keys {
		option, isScoped, ok := matchKey(key, OptionAnnotationPrefix, container)
		if !ok {
			continue
		}
		if option != SystemdOption {
			return Options{}, fmt.Errorf("annotation %q: unknown option %q", key, option)
		}
		v, err := parseBool(annotations[key])
		if err != nil {
			return Options{}, fmt.Errorf("annotation %q: %w", key, err)
		}
		if isScoped {
			scoped = &v
		} else {
			general = &v
		}
	}
	var opts Options
	switch {
	case scoped != nil:
		opts.Systemd = *scoped
	case general != nil:
		opts.Systemd = *general
	}
	return opts, nil
}

// parseBool accepts only the two spellings an annotation should use.
func parseBool(value string) (bool, error) {
	switch value {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("value %q must be \"true\" or \"false\"", value)
}

// matchKey splits key, if it is prefix+rest or, for a named container,
// container+"."+prefix+rest, and reports which.
func matchKey(key, prefix, container string) (rest string, scoped, ok bool) {
	if rest, ok := strings.CutPrefix(key, prefix); ok {
		return rest, false, true
	}
	if container == "" {
		return "", false, false
	}
	if rest, ok := strings.CutPrefix(key, container+"."+prefix); ok {
		return rest, true, true
	}
	return "", false, false
}
