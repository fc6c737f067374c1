package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/spec"
)

// containerTools are what the container cases start besides ww.
type containerTools struct {
	runc, execRunc, nop string
	ww                  string // absolute: the hooks' path
	// nvidia is the peer wrapper; nvidiaMissing says why there is none.
	nvidia, nvidiaMissing string
}

// containers is what the container cases share: a root file system that
// holds nop, one bundle per case (ww runtime edits its own config.json,
// which must not reach the others), a state root for runc, and one
// created container that the pass-through cases ask about.
type containers struct {
	dirs    []string // removed by close
	runc    string
	root    string
	bundles map[string]string // by case name
	stateID string
	// disk, when not "", is why there are no bundles on a disk file
	// system here.
	noDisk string
	// policies are the node policies of the ww cases, by case name: the
	// path WW_POLICY names (a missing file is the default policy).
	policies map[string]string
	// records is ww runtime's records folder (WW_STATE_DIR).
	records string
}

// Container case names, and the bundle of the created container.
const (
	runcRun     = "runc run"
	execRuncRun = "execrunc run"
	wwRun       = "ww runtime run"
	runcState   = "runc state"
	execState   = "execrunc state"
	wwState     = "ww runtime state"
	stateBundle = "created"
	// Two listeners, through the default policy and through one of 100
	// resources.
	wwNoPolicy  = "ww runtime run, no policy"
	wwResources = "ww runtime run, 100 resources"
	// ww runtime run with the fds of wwRun and two hooks in the config:
	// ww hook createRuntime and poststop, or nop reading its stdin at
	// each stage, the floor of any hook written in Go.
	wwHooked  = "ww runtime run, ww hooks"
	nopHooked = "ww runtime run, Go floor hooks"
	// 20 fds, and the same calls with the bundle on a disk.
	wwRun20         = "ww runtime run, 20 fds"
	execRuncRunDisk = "execrunc run, disk"
	wwRunDisk       = "ww runtime run, disk"
	wwRun20Disk     = "ww runtime run, 20 fds, disk"
	// The other pass-through calls; each delete removes a container
	// created before it, untimed, from the bundle deleteBundle.
	runcDelete    = "runc delete"
	execDelete    = "execrunc delete"
	wwDelete      = "ww runtime delete"
	execFeatures  = "execrunc features"
	wwFeatures    = "ww runtime features"
	deleteBundle  = "deleted"
	runcFeatures  = "runc features"
	nvidiaRun     = "nvidia run"
	nvidiaState   = "nvidia state"
	nvidiaRunName = "nvidia-container-runtime run / execrunc run"
)

// wwAnnotations20 are 20 fds of one file the policy's raw rule allows.
func wwAnnotations20() map[string]string {
	m := make(map[string]string, 20)
	for i := range 20 {
		m[fmt.Sprintf("fd.ww.dev/f%d", i)] = "file:/etc/hostname"
	}
	return m
}

// wwAnnotations are the two fds that ww runtime run adds to its container:
// a file the policy's raw rule allows, and a node resource.
func wwAnnotations() map[string]string {
	return map[string]string{
		"fd.ww.dev/conf": "file:/etc/hostname",
		"fd.ww.dev/out":  "node:devnull",
	}
}

// listenAnnotations are two listeners in the node's network, which even
// the default policy grants a container outside Kubernetes.
func listenAnnotations() map[string]string {
	return map[string]string{
		"fd.ww.dev/a": "listen:tcp:127.0.0.1:0",
		"fd.ww.dev/b": "listen:udp:127.0.0.1:0",
	}
}

// benchPolicy is a node policy with n resources besides the ones
// wwAnnotations name, granting those to containers outside Kubernetes.
func benchPolicy(n int) string {
	var b strings.Builder
	b.WriteString("version: 1\nresources:\n  devnull: {source: \"file:/dev/null?mode=w\", namespaces: [\"@local\"]}\n")
	for i := range n {
		fmt.Fprintf(&b, "  r%d: {source: \"unix:/run/bench/r%d.sock\", namespaces: [\"team-%d\", \"shop-*\"]}\n", i, i, i)
	}
	b.WriteString("raw:\n  - namespaces: [\"@local\"]\n    files: [/etc]\n")
	return b.String()
}

// setUpContainers makes the root file system, the bundles and the created
// container. The bundles go to /dev/shm when it is a tmpfs, as a
// container engine keeps its bundles under /run: config.json is then
// written where an fsync costs nothing, as it is for real.
func setUpContainers(t containerTools) (c *containers, err error) {
	c = &containers{runc: t.runc, bundles: make(map[string]string)}
	defer func() {
		if err != nil {
			c.close()
		}
	}()
	base, err := os.MkdirTemp("", "ww-bench-containers-")
	if err != nil {
		return c, err
	}
	c.dirs = append(c.dirs, base)
	bundleBase := base
	var fs unix.Statfs_t
	if unix.Statfs("/dev/shm", &fs) == nil && fs.Type == unix.TMPFS_MAGIC {
		if bundleBase, err = os.MkdirTemp("/dev/shm", "ww-bench-bundles-"); err != nil {
			return c, err
		}
		c.dirs = append(c.dirs, bundleBase)
	}
	rootfs := filepath.Join(base, "rootfs")
	if err := os.Mkdir(rootfs, 0o755); err != nil {
		return c, err
	}
	if err := copyFile(t.nop, filepath.Join(rootfs, "nop"), 0o755); err != nil {
		return c, err
	}
	c.root = filepath.Join(bundleBase, "state")
	resources := filepath.Join(base, "policy.yaml")
	if err := os.WriteFile(resources, []byte(benchPolicy(100)), 0o644); err != nil {
		return c, err
	}
	c.policies = map[string]string{wwNoPolicy: filepath.Join(base, "none.yaml")}
	for _, name := range []string{wwRun, wwResources, wwHooked, nopHooked, wwRun20, wwRunDisk, wwRun20Disk, ownWWRun, ownWWRun20, ownWWRunDisk, ownWWRun20Disk} {
		c.policies[name] = resources
	}
	c.records = filepath.Join(base, "records")
	if err := os.Mkdir(c.records, 0o700); err != nil {
		return c, err
	}
	diskBase, err := diskFolder()
	if err != nil {
		return c, err
	}
	if diskBase == "" {
		c.noDisk = "no folder on a disk file system (tried $TMPDIR, /var/tmp)"
	} else {
		c.dirs = append(c.dirs, diskBase)
	}
	for _, name := range []string{runcRun, execRuncRun, wwRun, stateBundle, wwNoPolicy, wwResources, wwRun20,
		deleteBundle, nvidiaRun, wwHooked, nopHooked, ownWWRun, ownWWRun20, execRuncRunDisk, wwRunDisk, wwRun20Disk, ownWWRunDisk, ownWWRun20Disk} {
		in := bundleBase
		if strings.HasSuffix(name, ", disk") {
			if diskBase == "" {
				continue
			}
			in = diskBase
		}
		dir := filepath.Join(in, strconv.Itoa(len(c.bundles)))
		var annotations map[string]string
		var hooks *specs.Hooks
		switch name {
		case wwRun, wwRunDisk, ownWWRun, ownWWRunDisk:
			annotations = wwAnnotations()
		case wwRun20, wwRun20Disk, ownWWRun20, ownWWRun20Disk:
			annotations = wwAnnotations20()
		case wwNoPolicy, wwResources:
			annotations = listenAnnotations()
		case wwHooked:
			annotations, hooks = wwAnnotations(), benchHooks(t.ww, []string{"ww", "hook"}, c.records)
		case nopHooked:
			annotations, hooks = wwAnnotations(), benchHooks(filepath.Join(rootfs, "nop"), []string{"nop", "stdin"}, "")
		}
		if err := writeBundle(t.runc, dir, rootfs, annotations, hooks); err != nil {
			return c, err
		}
		c.bundles[name] = dir
	}
	// The created container's process keeps runc's stdout and stderr open:
	// they go to a file, not to a pipe that would never reach its end.
	log, err := os.Create(filepath.Join(base, "create.log"))
	if err != nil {
		return c, err
	}
	defer log.Close()
	c.stateID = fmt.Sprintf("ww-bench-%d-created", os.Getpid())
	cmd := exec.Command(t.runc, "--root", c.root, "create", "--bundle", c.bundles[stateBundle], c.stateID)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		c.stateID = ""
		out, _ := os.ReadFile(log.Name())
		return c, fmt.Errorf("runc create: %w: %s", err, trimOutput(out))
	}
	return c, nil
}

// benchHooks are a createRuntime and a poststop hook running path with
// args, then the stage for ww (records, its records folder) or nothing
// more for nop.
func benchHooks(path string, args []string, records string) *specs.Hooks {
	h := func(stage string) []specs.Hook {
		a := args
		env := []string{"PATH=/usr/bin:/bin"}
		if records != "" {
			a = append(slices.Clone(args), stage)
			env = append(env, "WW_STATE_DIR="+records)
		}
		timeout := 10
		return []specs.Hook{{Path: path, Args: a, Env: env, Timeout: &timeout}}
	}
	return &specs.Hooks{CreateRuntime: h("createRuntime"), Poststop: h("poststop")}
}

// writeBundle makes a bundle in dir whose container runs /nop from
// rootfs: runc's default config, without a terminal, with annotations
// and hooks.
func writeBundle(runc, dir, rootfs string, annotations map[string]string, hooks *specs.Hooks) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	if out, err := exec.Command(runc, "spec", "--bundle", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("runc spec: %w: %s", err, trimOutput(out))
	}
	cfg, err := spec.Load(dir)
	if err != nil {
		return err
	}
	s := cfg.Spec
	if s.Process == nil {
		return fmt.Errorf("%s: runc spec wrote no process", cfg.Path())
	}
	s.Process.Terminal = false
	s.Process.Args = []string{"/nop"}
	s.Root = &specs.Root{Path: rootfs, Readonly: true}
	s.Annotations = annotations
	s.Hooks = hooks
	return cfg.Save()
}

// policyEnv is the environment that gives a case its node policy.
// With it goes ww runtime's records folder.
func (c *containers) policyEnv(name string) []string {
	return []string{"WW_POLICY=" + c.policies[name], "WW_STATE_DIR=" + c.records}
}

// close deletes the created containers (the one of the state cases, and
// any a delete case created and did not delete) and every folder.
func (c *containers) close() {
	if c.root != "" {
		out, _ := exec.Command(c.runc, "--root", c.root, "list", "--quiet").Output()
		for _, id := range strings.Fields(string(out)) {
			exec.Command(c.runc, "--root", c.root, "delete", "--force", id).Run()
		}
	}
	for _, d := range c.dirs {
		os.RemoveAll(d)
	}
}

func copyFile(from, to string, mode os.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// containerComparisons are the container ratios: run and the
// pass-through calls, each through ww runtime against the floor of any Go
// wrapper (execrunc), and the floor against runc itself; and the peer
// wrapper, when there is one.
func containerComparisons() []comparison {
	return []comparison{
		{name: "execrunc run / runc run", num: execRuncRun, den: runcRun},
		{name: "ww runtime run / execrunc run", num: wwRun, den: execRuncRun, target: 1.03},
		{name: "ww runtime run, 20 fds / execrunc run", num: wwRun20, den: execRuncRun, target: 1.06},
		{name: "ww runtime run, disk / execrunc run, disk", num: wwRunDisk, den: execRuncRunDisk, target: 1.03},
		{name: "ww runtime run, 20 fds, disk / execrunc run, disk", num: wwRun20Disk, den: execRuncRunDisk, target: 1.06},
		{name: "execrunc state / runc state", num: execState, den: runcState},
		{name: "ww runtime state / execrunc state", num: wwState, den: execState, target: 1.02},
		{name: "ww runtime delete / execrunc delete", num: wwDelete, den: execDelete, target: 1.02},
		{name: "ww runtime features / execrunc features", num: wwFeatures, den: execFeatures, target: 1.02},
		{name: "100 resources / no policy", num: wwResources, den: wwNoPolicy, target: 1.02},
		{name: "Go floor hooks / no hooks", num: nopHooked, den: wwRun},
		{name: "ww hooks / Go floor hooks", num: wwHooked, den: nopHooked, target: 1.05},
		{name: "ww hooks / Go floor hooks, CPU", num: wwHooked, den: nopHooked, target: 1.05, cpu: true},
		{name: nvidiaRunName, num: nvidiaRun, den: execRuncRun},
		{name: "nvidia-container-runtime state / execrunc state", num: nvidiaState, den: execState},
	}
}

// containerCases returns the cases of containerComparisons. runc run
// deletes its container when the process exits, so each run case reuses
// one container id of its own.
func containerCases(ww string, t containerTools, c *containers) []benchCase {
	global := []string{"--root", c.root}
	n := 0
	run := func(name string) []string {
		n++
		id := fmt.Sprintf("ww-bench-%d-%d", os.Getpid(), n)
		return append(slices.Clone(global), "run", "--bundle", c.bundles[name], id)
	}
	state := append(slices.Clone(global), "state", c.stateID)
	del := func() ([]string, []string) {
		n++
		id := fmt.Sprintf("ww-bench-%d-%d", os.Getpid(), n)
		create := append([]string{t.runc}, append(slices.Clone(global), "create", "--bundle", c.bundles[deleteBundle], id)...)
		return append(slices.Clone(global), "delete", id), create
	}
	runcDel, runcCreate := del()
	execDel, execCreate := del()
	wwDel, wwCreate := del()
	ww2 := func(name string) benchCase {
		return benchCase{name: name, argv: append([]string{ww, "runtime"}, run(name)...), env: c.policyEnv(name)}
	}
	cases := []benchCase{
		{name: runcRun, argv: append([]string{t.runc}, run(runcRun)...)},
		{name: execRuncRun, argv: append([]string{t.execRunc, t.runc}, run(execRuncRun)...)},
		ww2(wwRun),
		ww2(wwRun20),
		{name: runcState, argv: append([]string{t.runc}, state...)},
		{name: execState, argv: append([]string{t.execRunc, t.runc}, state...)},
		{name: wwState, argv: append([]string{ww, "runtime"}, state...)},
		{name: runcDelete, argv: append([]string{t.runc}, runcDel...), before: runcCreate},
		{name: execDelete, argv: append([]string{t.execRunc, t.runc}, execDel...), before: execCreate},
		{name: wwDelete, argv: append([]string{ww, "runtime"}, wwDel...), before: wwCreate},
		{name: runcFeatures, argv: []string{t.runc, "features"}},
		{name: execFeatures, argv: []string{t.execRunc, t.runc, "features"}},
		{name: wwFeatures, argv: []string{ww, "runtime", "features"}},
		ww2(wwNoPolicy),
		ww2(wwResources),
		{name: nvidiaRun, argv: append([]string{t.nvidia}, run(nvidiaRun)...)},
		{name: nvidiaState, argv: append([]string{t.nvidia}, state...)},
		ww2(wwHooked),
		ww2(nopHooked),
	}
	if c.noDisk == "" {
		cases = append(cases,
			benchCase{name: execRuncRunDisk, argv: append([]string{t.execRunc, t.runc}, run(execRuncRunDisk)...)},
			ww2(wwRunDisk), ww2(wwRun20Disk))
	}
	return cases
}

// benchContainers sets up the containers, times the cases that
// comparisons use and prints their report; without root or runc it
// prints why it skips them.
func benchContainers(o options, comparisons []comparison, stdout, stderr io.Writer) error {
	why := ""
	runc, err := exec.LookPath(o.runc)
	switch {
	case os.Geteuid() != 0:
		why = "they need root"
	case err != nil:
		why = fmt.Sprintf("no runtime %q: %v", o.runc, err)
	}
	if why != "" {
		fmt.Fprintf(stdout, "\nskipped the container ratios: %s\n", why)
		return nil
	}
	ww, err := filepath.Abs(o.ww)
	if err != nil {
		return err
	}
	t := containerTools{runc: runc, execRunc: o.execRunc, nop: o.nop, ww: ww}
	t.nvidia, t.nvidiaMissing = findNvidia(o.nvidia, o.nvidiaBuild, stderr)
	if t.nvidia == "" {
		t.nvidia = "nvidia-container-runtime" // never run: skipped
	}
	c, err := setUpContainers(t)
	if err != nil {
		return fmt.Errorf("set up the containers: %w", err)
	}
	defer c.close()
	// Interrupted, the driver still deletes the created container.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, unix.SIGINT, unix.SIGTERM, unix.SIGHUP)
	defer signal.Stop(sigs)
	go func() {
		if sig, ok := <-sigs; ok {
			c.close()
			fmt.Fprintf(stderr, "ww-bench: %v: containers deleted\n", sig)
			os.Exit(128 + int(sig.(unix.Signal)))
		}
	}()
	c.skips(comparisons, t)
	var whole, own []comparison
	for _, cmp := range comparisons {
		if strings.HasPrefix(cmp.name, "own cost: ") {
			own = append(own, cmp)
		} else {
			whole = append(whole, cmp)
		}
	}
	var wholeSums, ownSums map[string]summary
	if len(whole) > 0 {
		fmt.Fprintln(stdout)
		p := o
		p.plan = plan{rounds: o.containerRounds, runs: o.containerRuns, warmup: 2}
		if wholeSums, err = benchSummaries(p, containerCases(o.ww, t, c), whole, stdout, stderr); err != nil {
			return err
		}
	}
	if len(own) > 0 {
		fmt.Fprintln(stdout)
		p := o
		p.plan = plan{rounds: o.ownRounds, runs: o.ownRuns, warmup: 10}
		if ownSums, err = benchSummaries(p, ownCases(o.ww, t, c), own, stdout, stderr); err != nil {
			return err
		}
	}
	printTargets(stdout, wholeSums, ownSums)
	return nil
}
