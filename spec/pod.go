package spec

import (
	"slices"
	"strings"

	"github.com/ww-dev/ww/fdmgr"
)

// The annotations by which an app container of a Kubernetes pod names its
// pod's sandbox (pause) container; the sandbox's own spec carries its own
// ID under the same key.
const (
	// CRISandboxIDAnnotation is the sandbox's container ID under
	// containerd's CRI.
	CRISandboxIDAnnotation = "io.kubernetes.cri.sandbox-id"
	// CRIOSandboxIDAnnotation is the sandbox's container ID under CRI-O.
	CRIOSandboxIDAnnotation = "io.kubernetes.cri-o.SandboxID"
)

// listenPrefix starts a source of kind fdmgr.SourceListen.
const listenPrefix = string(fdmgr.SourceListen) + ":"

// SandboxID is the ID of the pod sandbox that a container belongs to, ""
// outside a Kubernetes pod. Each runtime sets its own key and passes the
// other's through from the pod's annotations, where anyone who writes a
// pod may set it: two keys that differ give "".
func SandboxID(annotations map[string]string) string {
	cri, crio := annotations[CRISandboxIDAnnotation], annotations[CRIOSandboxIDAnnotation]
	if cri != "" && crio != "" && cri != crio {
		return ""
	}
	if cri != "" {
		return cri
	}
	return crio
}

// PodListeners returns the listen: requests that a pod sandbox's
// annotations carry, for every container of the pod: the general keys
// (fd.ww.dev/NAME) and those scoped to any one container
// (CONTAINER.fd.ww.dev/NAME), sorted by key. A sandbox's spec carries the
// pod's annotations, so these are the listeners that the sandbox can hold
// for the life of the pod. Keys whose name or source is not valid are
// left out: the container that asks for them is refused on its own.
// Annotations that are not a sandbox's give none.
func PodListeners(annotations map[string]string) []FDRequest {
	if !IsSandbox(annotations) {
		return nil
	}
	var reqs []FDRequest
	for key, source := range annotations {
		name, ok := podFDName(key)
		if !ok || !strings.HasPrefix(source, listenPrefix) {
			continue
		}
		if fdmgr.ValidateName(name) != nil || checkSource(source) != nil {
			continue
		}
		reqs = append(reqs, FDRequest{Name: name, Source: source, Key: key})
	}
	slices.SortFunc(reqs, func(a, b FDRequest) int { return strings.Compare(a.Key, b.Key) })
	return reqs
}

// podFDName is the fd name of an fd annotation key, general or scoped to
// any container.
func podFDName(key string) (string, bool) {
	if name, ok := strings.CutPrefix(key, FDAnnotationPrefix); ok {
		return name, name != ""
	}
	i := strings.Index(key, "."+FDAnnotationPrefix)
	if i <= 0 {
		return "", false
	}
	name := key[i+1+len(FDAnnotationPrefix):]
	return name, name != ""
}
