package cribed_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ww-dev/ww/cmd/internal/cribed"
)

var (
	bins cribed.Binaries
	// dataDir holds the files the node policy names.
	dataDir string
	// policyPath is the node policy ww runtime reads (WW_POLICY).
	policyPath string
)

// policyYAML grants node resources to namespace ww-a, raw files and
// sockets beneath DIR/many to namespace ww-many, and nothing else.
const policyYAML = `version: 1
resources:
  alpha: {source: "file:DIR/alpha", namespaces: [ww-a]}
  beta: {source: "file:DIR/beta", namespaces: [ww-a]}
raw:
  - namespaces: [ww-many]
    files: [DIR/many]
    unix: [DIR/many]
`

func TestMain(m *testing.M) {
	os.Exit(func() int {
		if os.Geteuid() != 0 {
			return m.Run() // every test skips
		}
		dir, err := os.MkdirTemp("", "ww-cri-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		if bins, err = cribed.Build(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		dataDir = filepath.Join(dir, "data")
		policyPath = filepath.Join(dir, "policy.yaml")
		if err := writeData(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	}())
}

func writeData() error {
	if err := os.MkdirAll(filepath.Join(dataDir, "many"), 0o755); err != nil {
		return err
	}
	for _, name := range []string{"alpha", "beta"} {
		if err := os.WriteFile(filepath.Join(dataDir, name), []byte(name+"\n"), 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(policyPath, []byte(strings.ReplaceAll(policyYAML, "DIR", dataDir)), 0o644)
}

// startDaemon starts a daemon of f whose ww handler `ww install` wrote,
// with the floor handler, and a handler "wwall" that passes every
// annotation through (an operator's mistake the policy must survive).
func startDaemon(t testing.TB, f cribed.Flavor) *cribed.Daemon {
	t.Helper()
	log := daemonLog(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := cribed.Start(ctx, cribed.Options{
		Flavor: f, Probe: bins.Probe, Floor: bins.Floor,
		Env: []string{"WW_POLICY=" + policyPath},
		Log: log,
		// wwall first: containerd 1.x replaces the main file's CRI
		// section with the drop-in's, which ww install copies.
		Install: func(d *cribed.Daemon) error {
			if err := d.AddHandler(cribed.Handler{Name: "wwall", BinaryName: bins.WWRuntime,
				PodAnnotations: allKeys, ContainerAnnotations: allKeys}); err != nil {
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

// allKeys matches every annotation key (path.Match's * stops at '/').
var allKeys = []string{"*", "*/*"}

// installWW adds the ww handler with `ww install containerd`, into a
// drop-in of the daemon's own.
func installWW(d *cribed.Daemon) error {
	out, err := exec.Command(bins.WW, "install", "containerd", "--config", d.Config,
		"--drop-in", filepath.Join(d.Dir, "ww.toml"), "--runtime-path", bins.WWRuntime).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ww install: %v: %s", err, out)
	}
	return nil
}

// daemonLog returns a file for containerd f's log: its end is printed
// if the test fails, and it is removed at cleanup.
func daemonLog(t testing.TB, f cribed.Flavor) *os.File {
	t.Helper()
	log, err := os.CreateTemp("", "ww-cri-log-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("containerd %s log (last 8 KiB):\n%s", f.Name, tail(b, 8<<10))
		}
		log.Close()
		os.Remove(log.Name())
	})
	return log
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// skipMissing reports each containerd version Flavors found missing as a
// skipped subtest named as its Flavor would be ("1.6", "2.x").
func skipMissing(t *testing.T, missing []string) {
	t.Helper()
	for _, m := range missing {
		t.Run(strings.TrimSuffix(strings.Fields(m)[1], ":"), func(t *testing.T) { t.Skip(m) })
	}
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: runs containerd")
	}
}

// report is the probe's JSON.
type report struct {
	PID  int            `json:"pid"`
	Args []string       `json:"args"`
	Env  []string       `json:"env"`
	FDs  map[int]string `json:"fds"`
}

func parseReport(t *testing.T, lines []string) report {
	t.Helper()
	var r report
	for _, l := range lines {
		if strings.HasPrefix(l, "{") {
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatalf("probe report %q: %v", l, err)
			}
			return r
		}
	}
	t.Fatalf("no probe report in the log: %q", lines)
	return r
}

// wwVars returns the report's WW_FD_* variables.
func (r report) wwVars() map[string]string {
	vars := map[string]string{}
	for _, kv := range r.Env {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "WW_FD_") {
			vars[k] = v
		}
	}
	return vars
}
