package cribed_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ww-dev/ww/cmd/internal/cribed"
)

// testSpoofedNamespace: a pod of namespace ww-b writes the keys that
// carry a container's namespace, as pod and container annotations and
// labels, to get ww-a's resource. Through ww's handler the keys are not
// passed on; through a handler that passes every annotation, containerd
// merges them with its own: either way the request must be refused.
func testSpoofedNamespace(ctx context.Context, t *testing.T, d *cribed.Daemon) {
	spoof := func(keys ...string) map[string]string {
		m := map[string]string{}
		for _, k := range keys {
			m[k] = "ww-a"
		}
		return m
	}
	const criKey, crioKey = "io.kubernetes.cri.sandbox-namespace", "io.kubernetes.pod.namespace"
	cases := []struct {
		name                      string
		podAnn, ctrAnn, ctrLabels map[string]string
	}{
		{name: "pod annotation " + criKey, podAnn: spoof(criKey)},
		{name: "pod annotation " + crioKey, podAnn: spoof(crioKey)},
		{name: "pod annotations, both keys", podAnn: spoof(criKey, crioKey)},
		{name: "container annotations, both keys", ctrAnn: spoof(criKey, crioKey)},
		{name: "labels, both keys", ctrLabels: spoof(criKey, crioKey)},
	}
	for _, handler := range []string{"ww", "wwall"} {
		for i, c := range cases {
			t.Run(handler+"/"+c.name, func(t *testing.T) {
				ann := map[string]string{"fd.ww.dev/one": "node:alpha"}
				for k, v := range c.podAnn {
					ann[k] = v
				}
				p := runPod(ctx, t, d, cribed.PodSpec{Name: fmt.Sprintf("spoof-%s-%d", handler, i), Namespace: "ww-b",
					Handler: handler, Annotations: ann, Labels: c.ctrLabels})
				id, err := p.Create(ctx, cribed.ContainerSpec{Name: "probe", Args: []string{"fds"},
					Annotations: c.ctrAnn, Labels: c.ctrLabels})
				if err != nil {
					t.Fatal(err)
				}
				err = p.StartContainer(ctx, id)
				if err == nil {
					lines, _ := p.Log(ctx, "probe")
					t.Fatalf("a pod of ww-b got ww-a's resource: %q", lines)
				}
				t.Logf("refused: %v", err)
				refused := `resource "alpha" is not allowed for namespace "ww-b"`
				disagree := fmt.Sprintf("annotations %q (%q) and %q (%q) disagree", criKey, "ww-b", crioKey, "ww-a")
				if !strings.Contains(err.Error(), refused) && !strings.Contains(err.Error(), disagree) {
					t.Errorf("start error %q: want %q or %q", err, refused, disagree)
				}
			})
		}
	}
}

// testRefusedLeavesNothing: a container whose requests the policy
// refuses in part fails to start through ww and real runc, with nothing
// opened or made for the granted part, no runc container, and its
// config.json as containerd wrote it.
func testRefusedLeavesNothing(ctx context.Context, t *testing.T, d *cribed.Daemon) {
	dir := manyDir(t, d)
	made, sock := filepath.Join(dir, "refused-made"), filepath.Join(dir, "refused.sock")
	_, id := startRefused(ctx, t, d, cribed.PodSpec{Name: "refused", Namespace: "ww-many", Handler: "ww",
		Annotations: map[string]string{
			"fd.ww.dev/made": "file:" + made + "?mode=w&create=0600",
			"fd.ww.dev/sock": "listen:unix:" + sock,
			"fd.ww.dev/bad":  "node:alpha",
		}}, `annotation "fd.ww.dev/bad"`, `resource "alpha" is not allowed for namespace "ww-many"`)
	for _, f := range []string{made, sock} {
		if _, err := os.Lstat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is there after a refusal (%v)", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(d.State, "runc", "k8s.io", id)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("runc has state for the refused container (%v)", err)
	}
	config, err := os.ReadFile(filepath.Join(d.State, "io.containerd.runtime.v2.task", "k8s.io", id, "config.json"))
	if err == nil && strings.Contains(string(config), "WW_FD_") {
		t.Errorf("the refused container's config.json was edited")
	}
	if holders := holdersOf(dir); len(holders) > 0 {
		t.Errorf("processes hold files of %s: %v", dir, holders)
	}
	if pids := wwProcesses(d); len(pids) > 0 {
		t.Errorf("ww processes still run: %v", pids)
	}
}
