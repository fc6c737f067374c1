package policy

import (
	"strings"
	"testing"
)

// TestNamespaceOf reads the namespace from the runtimes' keys only, the
// way each runtime merges a pod's annotations with its own.
func TestNamespaceOf(t *testing.T) {
	tests := []struct {
		name        string
		annotations map[string]string
		want        string
		wantErr     string
	}{
		{"no keys, local", map[string]string{"fd.ww.dev/x": "listen:tcp::80"}, Local, ""},
		{"nil map, local", nil, Local, ""},
		{"containerd's key, its namespace", map[string]string{CRINamespaceAnnotation: "shop"}, "shop", ""},
		{"CRI-O's key, its namespace", map[string]string{CRIONamespaceAnnotation: "shop"}, "shop", ""},
		{"both keys agreeing, the namespace", map[string]string{CRINamespaceAnnotation: "shop", CRIONamespaceAnnotation: "shop"}, "shop", ""},
		// containerd sets its key over the pod's; a pod annotation passed
		// through under CRI-O's key is a second opinion: refused.
		{"containerd, pod spoofs CRI-O's key, error", map[string]string{
			CRINamespaceAnnotation: "shop", CRIONamespaceAnnotation: "kube-system"}, "",
			`annotations "io.kubernetes.cri.sandbox-namespace" ("shop") and "io.kubernetes.pod.namespace" ("kube-system") disagree on the container's namespace`},
		// CRI-O forwards every pod annotation and sets its own key.
		{"CRI-O, pod spoofs containerd's key, error", map[string]string{
			CRIONamespaceAnnotation: "shop", CRINamespaceAnnotation: "ingress"}, "",
			`annotations "io.kubernetes.cri.sandbox-namespace" ("ingress") and "io.kubernetes.pod.namespace" ("shop") disagree`},
		{"odd-case key, ignored: local", map[string]string{"IO.Kubernetes.Pod.Namespace": "kube-system"}, Local, ""},
		{"odd-case key beside the real one, ignored", map[string]string{
			CRINamespaceAnnotation: "shop", "io.kubernetes.cri.Sandbox-Namespace": "kube-system"}, "shop", ""},
		{"key with a space, ignored", map[string]string{" io.kubernetes.pod.namespace": "kube-system", "io.kubernetes.pod.namespace ": "x"}, Local, ""},
		{"scoped key, ignored", map[string]string{"app.io.kubernetes.pod.namespace": "kube-system"}, Local, ""},
		{"empty value, error", map[string]string{CRIONamespaceAnnotation: ""}, "",
			`annotation "io.kubernetes.pod.namespace": namespace is empty`},
		{"value with a space, error", map[string]string{CRINamespaceAnnotation: "shop "}, "",
			`annotation "io.kubernetes.cri.sandbox-namespace": "shop " is not a Kubernetes namespace name`},
		{"value @local, error", map[string]string{CRINamespaceAnnotation: Local}, "",
			`annotation "io.kubernetes.cri.sandbox-namespace": "@local" is not a Kubernetes namespace name`},
		{"value with a newline, error", map[string]string{CRIONamespaceAnnotation: "shop\nx"}, "",
			`"shop\nx" is not a Kubernetes namespace name`},
		{"value upper-case, error", map[string]string{CRIONamespaceAnnotation: "Shop"}, "", `"Shop" is not a Kubernetes namespace name`},
		{"value 64 characters, error", map[string]string{CRIONamespaceAnnotation: strings.Repeat("a", 64)}, "", "is longer than 63 characters"},
		{"value of 1 MiB, error quoting 200 bytes", map[string]string{CRIONamespaceAnnotation: strings.Repeat("a", 1<<20)}, "", "… (1048576 bytes) is longer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NamespaceOf(tt.annotations)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %q, %v; want error %q", got, err, tt.wantErr)
				}
				if len(err.Error()) > 600 {
					t.Errorf("error is %d bytes", len(err.Error()))
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestPodNameOf(t *testing.T) {
	tests := []struct {
		name        string
		annotations map[string]string
		want        string
	}{
		{"containerd's key, its name", map[string]string{CRIPodNameAnnotation: "web-1"}, "web-1"},
		{"CRI-O's key, its name", map[string]string{CRIOPodNameAnnotation: "web-2"}, "web-2"},
		{"both, containerd's", map[string]string{CRIPodNameAnnotation: "web-1", CRIOPodNameAnnotation: "web-2"}, "web-1"},
		{"none, empty", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PodNameOf(tt.annotations); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckPattern(t *testing.T) {
	tests := []struct {
		name, pattern, wantErr string
	}{
		{"name, fine", "shop", ""},
		{"@local, fine", Local, ""},
		{"star, fine", "*", ""},
		{"prefix glob, fine", "team-*", ""},
		{"class glob, fine", "team-[a-c]", ""},
		{"negated class, fine", "team-[^x]?", ""},
		{"other @ name, error", "@host", `"@host": the only name starting with '@' is @local`},
		{"upper case, error", "Shop", `"Shop" is not a Kubernetes namespace name`},
		{"unclosed class, error", "team-[", `glob "team-[": syntax error in pattern`},
		{"slash in a glob, error", "a/*", `glob "a/*" has '/'`},
		{"backslash in a glob, error", `a\*`, `glob "a\\*" has '\\'`},
		{"empty, error", "", "namespace is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkPattern(tt.pattern)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestMatchNamespace(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		ns       string
		want     string // the entry that matched; "" for none
	}{
		{"name, matched", []string{"shop"}, "shop", "shop"},
		{"glob, matched", []string{"team-*"}, "team-a", "team-*"},
		{"first entry wins", []string{"*", "shop"}, "shop", "*"},
		{"star, no match for @local", []string{"*"}, Local, ""},
		{"question mark, no match for @local", []string{"@?????"}, Local, ""},
		{"@local, matched", []string{"shop", Local}, Local, Local},
		{"@local entry, no k8s match", []string{Local}, "local", ""},
		{"other name, no match", []string{"shop"}, "shopping", ""},
		{"empty list, no match", nil, "shop", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := matchNamespace(tt.patterns, tt.ns)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("got %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}
