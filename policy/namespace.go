package policy

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// Local stands, in a namespace list, for every container without a
// Kubernetes namespace: Podman, Docker, ctr, plain runc. No Kubernetes
// namespace can be called that ('@' is not allowed in one), and no glob
// matches it: it must be listed as it is.
const Local = "@local"

// The annotations that carry a container's Kubernetes namespace and pod
// name. The runtimes set them themselves; only these keys are read.
const (
	// CRINamespaceAnnotation is containerd's (CRI plugin).
	CRINamespaceAnnotation = "io.kubernetes.cri.sandbox-namespace"
	// CRIONamespaceAnnotation is CRI-O's.
	CRIONamespaceAnnotation = "io.kubernetes.pod.namespace"
	// CRIPodNameAnnotation is containerd's pod name.
	CRIPodNameAnnotation = "io.kubernetes.cri.sandbox-name"
	// CRIOPodNameAnnotation is CRI-O's pod name.
	CRIOPodNameAnnotation = "io.kubernetes.pod.name"
)

// maxNamespace is the length of the longest Kubernetes namespace name, a
// DNS label.
const maxNamespace = 63

// maxPattern bounds a namespace glob.
const maxPattern = 253

// NamespaceOf returns the Kubernetes namespace of the container whose
// config.json has annotations, or Local when it has none. It reads only
// CRINamespaceAnnotation and CRIONamespaceAnnotation, exactly spelled. A
// runtime sets its own key over whatever a pod wrote, but it may pass a
// pod's annotation under the other runtime's key through: two keys that
// disagree mean a pod tried to choose its namespace, and are an error, as
// is a key whose value is no namespace name.
func NamespaceOf(annotations map[string]string) (string, error) {
	cri, hasCRI := annotations[CRINamespaceAnnotation]
	crio, hasCRIO := annotations[CRIONamespaceAnnotation]
	for _, key := range [...]string{CRINamespaceAnnotation, CRIONamespaceAnnotation} {
		if ns, ok := annotations[key]; ok {
			if err := checkNamespace(ns); err != nil {
				return "", fmt.Errorf("annotation %q: %w", key, err)
			}
		}
	}
	switch {
	case hasCRI && hasCRIO && cri != crio:
		return "", fmt.Errorf("annotations %q (%s) and %q (%s) disagree on the container's namespace",
			CRINamespaceAnnotation, quote(cri), CRIONamespaceAnnotation, quote(crio))
	case hasCRI:
		return cri, nil
	case hasCRIO:
		return crio, nil
	}
	return Local, nil
}

// PodNameOf returns the pod's name from the runtimes' annotations, "" if
// there is none. It is only recorded, never decided on.
func PodNameOf(annotations map[string]string) string {
	if name := annotations[CRIPodNameAnnotation]; name != "" {
		return name
	}
	return annotations[CRIOPodNameAnnotation]
}

// checkNamespace checks a Kubernetes namespace name: a DNS label of 1 to
// 63 lower-case letters, digits and '-', starting and ending with a letter
// or digit.
func checkNamespace(ns string) error {
	if ns == "" {
		return errors.New("namespace is empty")
	}
	if len(ns) > maxNamespace {
		return fmt.Errorf("namespace %s is longer than %d characters", quote(ns), maxNamespace)
	}
	for i := 0; i < len(ns); i++ {
		c := ns[i]
		alnum := 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
		if !alnum && (c != '-' || i == 0 || i == len(ns)-1) {
			return fmt.Errorf("%s is not a Kubernetes namespace name (lower-case letters, digits and '-')", quote(ns))
		}
	}
	return nil
}

// ValidateNamespace reports whether ns may be a Container's Namespace:
// a Kubernetes namespace name, or Local.
func ValidateNamespace(ns string) error {
	if ns == Local {
		return nil
	}
	return checkNamespace(ns)
}

// checkPattern checks an entry of a namespaces list: Local, a namespace
// name, or a glob of path.Match over namespace names.
func checkPattern(p string) error {
	if p == Local {
		return nil
	}
	if strings.HasPrefix(p, "@") {
		return fmt.Errorf("%s: the only name starting with '@' is %s", quote(p), Local)
	}
	if !strings.ContainsAny(p, "*?[") {
		return checkNamespace(p)
	}
	if len(p) > maxPattern {
		return fmt.Errorf("glob %s is longer than %d characters", quote(p), maxPattern)
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-*?[]^", c) >= 0) {
			return fmt.Errorf("glob %s has %q: only lower-case letters, digits, '-' and * ? [ ] ^", quote(p), c)
		}
	}
	if _, err := path.Match(p, ""); err != nil {
		return fmt.Errorf("glob %s: %w", quote(p), err)
	}
	return nil
}

// matchNamespace returns the first entry of patterns that ns matches. A
// glob matches Kubernetes namespaces only; Local matches itself.
func matchNamespace(patterns []string, ns string) (string, bool) {
	for _, p := range patterns {
		if p == ns {
			return p, true
		}
		if ns == Local || p == Local {
			continue
		}
		if ok, err := path.Match(p, ns); ok && err == nil {
			return p, true
		}
	}
	return "", false
}
