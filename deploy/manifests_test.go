// Package deploy holds ww's Kubernetes manifests and node installer; its
// tests decode every manifest strictly into the Kubernetes API types and
// run the installer against a folder standing in for a node.
package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	"sigs.k8s.io/yaml"
)

// kustomization is the part of kustomize's Kustomization that ww's use.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Resources  []string `json:"resources"`
}

// manifestDirs are the folders of manifests, each with a kustomization.
var manifestDirs = []string{".", "example"}

// newObject is an empty object of the API type of apiVersion and kind.
func newObject(apiVersion, kind string) any {
	switch apiVersion + " " + kind {
	case "v1 Namespace":
		return &corev1.Namespace{}
	case "v1 ConfigMap":
		return &corev1.ConfigMap{}
	case "v1 Pod":
		return &corev1.Pod{}
	case "node.k8s.io/v1 RuntimeClass":
		return &nodev1.RuntimeClass{}
	case "apps/v1 DaemonSet":
		return &appsv1.DaemonSet{}
	case "kustomize.config.k8s.io/v1beta1 Kustomization":
		return &kustomization{}
	}
	return nil
}

// decodeFile decodes one manifest strictly: one object, of a known type,
// no unknown or repeated field.
func decodeFile(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("\n---")) || bytes.HasPrefix(data, []byte("---")) {
		t.Fatalf("%s: more than one document; one object per file", path)
	}
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(data, &meta); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	obj := newObject(meta.APIVersion, meta.Kind)
	if obj == nil {
		t.Fatalf("%s: %s %s is not a type the test knows", path, meta.APIVersion, meta.Kind)
	}
	if err := yaml.UnmarshalStrict(data, obj); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return obj
}

// objects decodes every manifest of dir, by file name.
func objects(t *testing.T, dir string) map[string]any {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	for _, f := range files {
		out[filepath.Base(f)] = decodeFile(t, f)
	}
	return out
}

func TestManifestsDecodeStrictly(t *testing.T) {
	for _, dir := range manifestDirs {
		if n := len(objects(t, dir)); n < 3 {
			t.Errorf("%s: %d manifests", dir, n)
		}
	}
}

func TestStrictDecodingCatchesATypo(t *testing.T) {
	data, err := os.ReadFile("runtimeclass.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Replace(data, []byte("handler:"), []byte("handlr:"), 1)
	if err := yaml.UnmarshalStrict(bad, &nodev1.RuntimeClass{}); err == nil || !strings.Contains(err.Error(), `unknown field "handlr"`) {
		t.Errorf("a misspelt field decodes: %v", err)
	}
}

func TestKustomizationsListEveryManifest(t *testing.T) {
	for _, dir := range manifestDirs {
		objs := objects(t, dir)
		k, ok := objs["kustomization.yaml"].(*kustomization)
		if !ok {
			t.Fatalf("%s: no kustomization.yaml", dir)
		}
		var want []string
		for name := range objs {
			if name != "kustomization.yaml" {
				want = append(want, name)
			}
		}
		slices.Sort(want)
		got := slices.Clone(k.Resources)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s/kustomization.yaml lists %v, the folder holds %v", dir, got, want)
		}
	}
}

func TestInstallerDaemonSetMountsWhatItsScriptUses(t *testing.T) {
	objs := objects(t, ".")
	ds := objs["installer-daemonset.yaml"].(*appsv1.DaemonSet)
	cm := objs["policy-configmap.yaml"].(*corev1.ConfigMap)
	ns := objs["namespace.yaml"].(*corev1.Namespace)
	if ds.Namespace != ns.Name || cm.Namespace != ns.Name {
		t.Errorf("the DaemonSet (%s) and the ConfigMap (%s) are not in %s", ds.Namespace, cm.Namespace, ns.Name)
	}
	spec := ds.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers", len(spec.Containers))
	}
	c := spec.Containers[0]
	if c.SecurityContext == nil || c.SecurityContext.Privileged == nil || !*c.SecurityContext.Privileged || !spec.HostPID {
		t.Errorf("the installer is not privileged with hostPID")
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	for _, name := range []string{"WW_RUNTIME", "WW_BIN_DIR", "WW_BIN_MOUNT", "WW_POLICY_SOURCE"} {
		if env[name] == "" {
			t.Errorf("%s is not set, so the mounts below cannot be checked against it", name)
		}
	}
	if env["WW_RESTART"] != "none" || env["WW_UNINSTALL_ON_EXIT"] != "false" {
		t.Errorf("the defaults are not WW_RESTART=none, WW_UNINSTALL_ON_EXIT=false: %v", env)
	}
	mounts := map[string]string{} // mount path: volume's host path or ConfigMap
	volumes := map[string]string{}
	for _, v := range spec.Volumes {
		switch {
		case v.HostPath != nil:
			volumes[v.Name] = v.HostPath.Path
		case v.ConfigMap != nil:
			volumes[v.Name] = "configmap:" + v.ConfigMap.Name
		}
	}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = volumes[m.Name]
	}
	for mount, want := range map[string]string{
		env["WW_BIN_MOUNT"]:                   env["WW_BIN_DIR"],
		"/etc/" + env["WW_RUNTIME"]:           "/etc/" + env["WW_RUNTIME"],
		"/etc/ww":                             "/etc/ww",
		filepath.Dir(env["WW_POLICY_SOURCE"]): "configmap:" + cm.Name,
	} {
		if mounts[mount] != want {
			t.Errorf("%s mounts %q, want %q", mount, mounts[mount], want)
		}
	}
	if _, ok := cm.Data[filepath.Base(env["WW_POLICY_SOURCE"])]; !ok {
		t.Errorf("the ConfigMap has no %s", filepath.Base(env["WW_POLICY_SOURCE"]))
	}
}

func TestExamplePodIsGrantedByThePolicy(t *testing.T) {
	objs := objects(t, ".")
	rc := objs["runtimeclass.yaml"].(*nodev1.RuntimeClass)
	cm := objs["policy-configmap.yaml"].(*corev1.ConfigMap)
	pod := objects(t, "example")["pod.yaml"].(*corev1.Pod)
	if rc.Handler != "ww" || pod.Spec.RuntimeClassName == nil || *pod.Spec.RuntimeClassName != rc.Name {
		t.Errorf("the pod's runtime class is not %s with handler ww", rc.Name)
	}
	policyFile := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policyFile, []byte(cm.Data["policy.yaml"]), 0o644); err != nil {
		t.Fatal(err)
	}
	var requests []string
	kinds := map[string]bool{}
	for key, source := range pod.Annotations {
		name, ok := strings.CutPrefix(key, "fd.ww.dev/")
		if !ok {
			continue
		}
		requests = append(requests, name+"="+source)
		kind, _, _ := strings.Cut(source, ":")
		kinds[kind] = true
	}
	if !kinds["listen"] || !kinds["node"] {
		t.Errorf("the example asks for %v, not a listen: socket and a node: resource", requests)
	}
	ww := buildWW(t)
	test := func(ns string) error {
		args := append([]string{"policy", "test", "--namespace", ns, "--policy", policyFile}, requests...)
		out, err := exec.Command(ww, args...).CombinedOutput()
		t.Logf("namespace %s:\n%s", ns, out)
		return err
	}
	if err := test(pod.Namespace); err != nil {
		t.Errorf("the policy refuses the example pod's requests: %v", err)
	}
	if err := test("default"); err == nil {
		t.Errorf("the policy grants node:example-log to namespace default too")
	}
}

// TestREADMEMatchesDeploy checks that the README's Kubernetes section
// shows the example pod's annotations and documents every setting the
// DaemonSet and the installer script have.
func TestREADMEMatchesDeploy(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	pod := objects(t, "example")["pod.yaml"].(*corev1.Pod)
	for key, value := range pod.Annotations {
		if !bytes.Contains(readme, []byte(key+": "+value)) {
			t.Errorf("README.md does not show the example's annotation %s: %s", key, value)
		}
	}
	script, err := os.ReadFile("ww-node-install")
	if err != nil {
		t.Fatal(err)
	}
	var settings []string
	for _, line := range strings.Split(string(script), "\n") {
		// The script's header lists its settings: "#   WW_NAME ...".
		if !strings.HasPrefix(line, "#   WW_") {
			continue
		}
		for _, f := range strings.Fields(strings.TrimPrefix(line, "#")) {
			if !strings.HasPrefix(f, "WW_") {
				break
			}
			settings = append(settings, strings.TrimSuffix(f, ","))
		}
	}
	ds := objects(t, ".")["installer-daemonset.yaml"].(*appsv1.DaemonSet)
	for _, e := range ds.Spec.Template.Spec.Containers[0].Env {
		if !slices.Contains(settings, e.Name) {
			t.Errorf("the DaemonSet sets %s, which ww-node-install does not list", e.Name)
		}
	}
	for _, name := range settings {
		if name == "WW_ROOT" || name == "WW_SOURCE" {
			continue // for tests and the image
		}
		if !bytes.Contains(readme, []byte("`"+name+"`")) {
			t.Errorf("README.md does not document %s", name)
		}
	}
	t.Logf("the script's settings: %v", settings)
	if len(settings) < 8 {
		t.Errorf("found only %v in the script's header", settings)
	}
}
