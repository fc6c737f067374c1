package cribed_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ww-dev/ww/cmd/internal/cribed"
)

// hooksPolicyYAML is the node policy of the hooks daemon: ww runtime
// adds ww hook to the configs it edits, and namespace ww-h may have the
// files beneath DIR.
const hooksPolicyYAML = `version: 1
hooks: true
raw:
  - namespaces: [ww-h]
    files: [DIR]
`

// TestCRIHooks: with hooks: true in the node policy, a pod whose pod
// annotation asks for a listener and whose container asks for a file of
// its own runs through the ww handler: the sandbox (which holds the
// listener) and the container (whose config gets ww hook, which proves
// both names) start, and a restart as the kubelet does it gets the same
// socket and passes the proof again. The same pod through a runc handler
// whose base spec carries ww hook createRuntime, as the README shows,
// fails at StartContainer with the hook's message. One daemon per
// containerd version, with both handlers.
func TestCRIHooks(t *testing.T) {
	requireRoot(t)
	flavors, missing := cribed.Flavors()
	skipMissing(t, missing)
	for _, f := range flavors {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			d := startHooksDaemon(t, f)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			t.Run("ww handler: sandbox and container start, proven, a restart keeps the socket", func(t *testing.T) {
				testHooksWW(ctx, t, d)
			})
			t.Run("runc handler with the hook: StartContainer fails with its message", func(t *testing.T) {
				testHooksRunc(ctx, t, d)
			})
		})
	}
}

// hooksPod is the pod of the hooks tests, through handler.
func hooksPod(name, handler string) cribed.PodSpec {
	return cribed.PodSpec{Name: name, Namespace: "ww-h", Handler: handler,
		Annotations: map[string]string{"fd.ww.dev/http": "listen:tcp::8080"}}
}

// hooksContainer answers on the pod's listener, and asks for a file of
// its own.
func hooksContainer(attempt uint32) cribed.ContainerSpec {
	return cribed.ContainerSpec{Name: "web", Attempt: attempt, Args: []string{"answer", "http"},
		Annotations: map[string]string{"fd.ww.dev/data": "file:" + filepath.Join(dataDir, "alpha")}}
}

func testHooksWW(ctx context.Context, t *testing.T, d *cribed.Daemon) {
	p := runPod(ctx, t, d, hooksPod("hooks", "ww"))
	_, held := sandboxSocket(ctx, t, p)
	if h := wwHooks(t, d, p.ID); len(h) != 0 {
		t.Errorf("the sandbox's config has ww's hooks %v: it asks for nothing", h)
	}
	id, err := p.Start(ctx, hooksContainer(0))
	if err != nil {
		t.Fatal(err)
	}
	if h := wwHooks(t, d, id); strings.Join(h, ",") != "createRuntime,poststop" {
		t.Errorf("the container's config has ww's hooks %v, want createRuntime and poststop", h)
	}
	c, err := p.StartClient(ctx, "127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	a, err := c.WaitAnswerAfter(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	old := id
	if id, err = p.Restart(ctx, id, hooksContainer(1), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if h := wwHooks(t, d, id); strings.Join(h, ",") != "createRuntime,poststop" {
		t.Errorf("after the restart, the container's config has ww's hooks %v, want createRuntime and poststop", h)
	}
	if _, err := c.WaitAnswerAfter(ctx, a.Start); err != nil {
		t.Fatal(err)
	}
	r := c.Stop()
	if r.Refused != 0 || len(r.Errors) != 0 {
		t.Errorf("%d connections refused, errors %v", r.Refused, r.Errors)
	}
	for _, ans := range r.Answers {
		if ans.Inode != held {
			t.Fatalf("an answer through socket %s, want the sandbox's %s", ans.Inode, held)
		}
	}
	if m, _ := filepath.Glob(filepath.Join("/run/ww/containers", old+"@*")); len(m) != 0 {
		t.Errorf("records %q of the removed container", m)
	}
}

func testHooksRunc(ctx context.Context, t *testing.T, d *cribed.Daemon) {
	p := runPod(ctx, t, d, hooksPod("hooks-runc", "runchook"))
	id, err := p.Create(ctx, hooksContainer(0))
	if err != nil {
		t.Fatalf("CreateContainer only records, yet: %v", err)
	}
	err = p.StartContainer(ctx, id)
	if err == nil {
		t.Fatal("the container started without its fds")
	}

	for _, want := range []string{"ww hook createRuntime", "fds data, http were not delivered", "check its RuntimeClass"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("start error %q does not say %q", err, want)
		}
	}
}

// wwHooks lists the stages of ww's hooks in the config of container id.
func wwHooks(t *testing.T, d *cribed.Daemon, id string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(d.State, "io.containerd.runtime.v2.task", "k8s.io", id, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Hooks map[string][]struct {
			Args []string `json:"args"`
		} `json:"hooks"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	var stages []string
	for _, stage := range []string{"createRuntime", "poststop"} {
		for _, h := range cfg.Hooks[stage] {
			if strings.Join(h.Args, " ") == "ww hook "+stage {
				stages = append(stages, stage)
			}
		}
	}
	return stages
}

// startHooksDaemon starts a daemon of f with the hooks policy, the ww
// handler that `ww install` writes and the handler runchook: runc, whose
// base spec carries ww hook createRuntime, and which lets ww's
// annotations through.
func startHooksDaemon(t *testing.T, f cribed.Flavor) *cribed.Daemon {
	t.Helper()
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte(strings.ReplaceAll(hooksPolicyYAML, "DIR", dataDir)), 0o644); err != nil {
		t.Fatal(err)
	}
	log := daemonLog(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := cribed.Start(ctx, cribed.Options{
		Flavor: f, Probe: bins.Probe,
		Env: []string{"WW_POLICY=" + policy},
		Log: log,
		Install: func(d *cribed.Daemon) error {
			base := filepath.Join(d.Dir, "runc-base-spec.json")
			if err := writeHookedBaseSpec(f, base); err != nil {
				return err
			}
			if err := d.AddHandler(cribed.Handler{Name: "runchook", BaseRuntimeSpec: base,
				PodAnnotations: cribed.WWAnnotations, ContainerAnnotations: cribed.WWAnnotations}); err != nil {
				return err
			}
			return installWW(d)
		},
	})
	if err != nil {
		t.Fatalf("start containerd %s: %v", f.Name, err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("close containerd %s: %v", f.Name, err)
		}
	})
	return d
}

// writeHookedBaseSpec writes containerd's default spec (ctr oci spec)
// with ww hook createRuntime added, as the README tells an operator.
func writeHookedBaseSpec(f cribed.Flavor, path string) error {
	out, err := exec.Command(f.Ctr, "oci", "spec").Output()
	if err != nil {
		return err
	}
	var spec map[string]any
	if err := json.Unmarshal(out, &spec); err != nil {
		return err
	}
	spec["hooks"] = map[string]any{"createRuntime": []any{map[string]any{
		"path": bins.WW, "args": []string{"ww", "hook", "createRuntime"},
		"env": []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, "timeout": 10,
	}}}
	b, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
