package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ww-dev/ww/cmd/internal/cribed"
)

// The handlers a pod cycle is timed through.
const (
	criWW    = "ww"
	criFloor = "floor"
	criRunc  = "runc"
	// criCount runs ww runtime through a script that records each call.
	criCount = "count"
)

// criComparisons are the pod-cycle ratios, for each containerd found.
func criComparisons() []comparison {
	return []comparison{
		{name: "pod cycle ww / floor", num: criWW, den: criFloor, target: 1.03},
		{name: "pod cycle floor / runc", num: criFloor, den: criRunc},
	}
}

// criPolicy grants the benchmark's namespace the two fds its pods ask for.
const criPolicy = `version: 1
resources:
  hostname: {source: "file:/etc/hostname", namespaces: [bench]}
  "null": {source: "file:/dev/null?mode=w", namespaces: [bench]}
`

// criAnnotations ask for two fds.
var criAnnotations = map[string]string{"fd.ww.dev/hostname": "node:hostname", "fd.ww.dev/null": "node:null"}

// benchCRI times a pod cycle (RunPodSandbox, CreateContainer,
// StartContainer, StopPodSandbox, RemovePodSandbox) through each
// handler, on each containerd found, and counts the runtime calls of one
// cycle; as root only.
func benchCRI(o options, comparisons []comparison, stdout, stderr io.Writer) error {
	dir, bins, flavors, err := criSetup(o, "pod cycles", criPolicy, stdout)
	if dir == "" || err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	policy := filepath.Join(dir, "policy.yaml")
	calls := filepath.Join(dir, "calls")
	counter := filepath.Join(dir, "count-runtime")
	script := fmt.Sprintf("#!/bin/sh\necho \"$*\" >> %s\nexec %s \"$@\"\n", calls, bins.WWRuntime)
	if err := os.WriteFile(counter, []byte(script), 0o755); err != nil {
		return err
	}
	for _, f := range flavors {
		d, err := cribed.Start(context.Background(), cribed.Options{
			Flavor: f, Probe: bins.Probe, Floor: bins.Floor,
			Env: []string{"WW_POLICY=" + policy},
			Handlers: []cribed.Handler{
				{Name: criWW, BinaryName: bins.WWRuntime, PodAnnotations: cribed.WWAnnotations, ContainerAnnotations: cribed.WWAnnotations},
				{Name: criCount, BinaryName: counter, PodAnnotations: cribed.WWAnnotations, ContainerAnnotations: cribed.WWAnnotations},
			},
		})
		if err != nil {
			return fmt.Errorf("containerd %s: %w", f.Name, err)
		}
		err = benchFlavor(o, d, comparisons, calls, stdout, stderr)
		if cerr := d.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("containerd %s: %w", f.Name, err)
		}
	}
	return nil
}

// criSetup prepares the pod benchmarks named what ("pod cycles"): as
// root, with a containerd found, it makes a folder, which the caller
// removes, holding ww built and policy in policy.yaml, and tells each
// containerd version missing. dir is "" when they are skipped.
func criSetup(o options, what, policy string, stdout io.Writer) (dir string, bins cribed.Binaries, flavors []cribed.Flavor, err error) {
	flavors, missing := cribed.Flavors()
	switch {
	case os.Geteuid() != 0:
		fmt.Fprintf(stdout, "\nskipped the %s: they need root\n", what)
		return "", bins, nil, nil
	case len(flavors) == 0:
		fmt.Fprintf(stdout, "\nskipped the %s: %s\n", what, strings.Join(missing, "; "))
		return "", bins, nil, nil
	}
	dir, err = os.MkdirTemp("", "ww-bench-cri-")
	if err != nil {
		return "", bins, nil, err
	}
	bins, err = cribed.BuildFor(dir, o.ww)
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(policy), 0o644)
	}
	if err != nil {
		os.RemoveAll(dir)
		return "", bins, nil, err
	}
	for _, m := range missing {
		fmt.Fprintf(stdout, "\nskipped the %s of %s\n", what, m)
	}
	return dir, bins, flavors, nil
}

func benchFlavor(o options, d *cribed.Daemon, comparisons []comparison, calls string, stdout, stderr io.Writer) error {
	var handlers []string
	for _, c := range comparisons {
		for _, h := range []string{c.num, c.den} {
			if !slices.Contains(handlers, h) {
				handlers = append(handlers, h)
			}
		}
	}
	for _, h := range handlers { // warm-up
		if _, _, err := podCycle(d, h); err != nil {
			return err
		}
	}
	// Each round runs the handlers in one order and then in the reverse
	// (A B C C B A), starting at the next handler each round, so that
	// drift reaches every handler alike.
	s := make([]samples, len(handlers))
	cpu := make([]samples, len(handlers))
	for round := range o.criRounds {
		var times = make([][]time.Duration, len(handlers))
		var cpus = make([][]time.Duration, len(handlers))
		var order []int
		for k := range handlers {
			order = append(order, (round+k)%len(handlers))
		}
		for _, i := range append(slices.Clone(order), reversed(order)...) {
			t, c, err := podCycle(d, handlers[i])
			if err != nil {
				return err
			}
			times[i] = append(times[i], t)
			cpus[i] = append(cpus[i], c)
		}
		for i := range handlers {
			s[i].rounds = append(s[i].rounds, times[i])
			s[i].all = append(s[i].all, times[i]...)
			cpu[i].rounds = append(cpu[i].rounds, cpus[i])
			cpu[i].all = append(cpu[i].all, cpus[i]...)
		}
		fmt.Fprintf(stderr, "ww-bench: containerd %s pod cycles, round %d/%d done\n", d.Flavor.Name, round+1, o.criRounds)
	}
	os.Remove(calls)
	if _, _, err := podCycle(d, criCount); err != nil {
		return err
	}
	counted, err := os.ReadFile(calls)
	if err != nil {
		return err
	}
	sums := map[string]summary{}
	fmt.Fprintf(stdout, "\nww-bench: pod cycles through containerd %s's CRI (RunPodSandbox, CreateContainer,\n", d.Flavor.Name)
	fmt.Fprintf(stdout, "StartContainer, StopPodSandbox, RemovePodSandbox; the ww pods ask for two fds);\n")
	fmt.Fprintf(stdout, "%d rounds, each A B … B A\n\n", o.criRounds)
	fmt.Fprintf(stdout, "%-16s %6s %10s %10s %10s   %s\n", "handler", "runs", "median", "p10", "p90", "round medians")
	for i, h := range handlers {
		sums[h] = summarize(s[i])
		fmt.Fprintf(stdout, "%-16s %6d %10s %10s %10s   %s – %s\n", h, sums[h].n, millis(sums[h].median),
			millis(sums[h].p10), millis(sums[h].p90), millis(sums[h].roundMin), millis(sums[h].roundMax))
	}
	fmt.Fprintln(stdout)
	var results []result
	for _, c := range comparisons {
		results = append(results, result{comparison: c, ratio: ratioOf(sums[c.num], sums[c.den])})
	}
	printRatios(stdout, results)
	// CPU time is steadier than wall time on a busy machine: what the
	// daemon, its shims, the runtimes and the CNI plugins used per cycle.
	fmt.Fprintf(stdout, "\nCPU time of containerd, shims, runtimes and CNI plugins per cycle:\n")
	fmt.Fprintf(stdout, "%-16s %6s %10s %10s %10s\n", "handler", "runs", "median", "p10", "p90")
	cpuSums := map[string]summary{}
	for i, h := range handlers {
		cpuSums[h] = summarize(cpu[i])
		fmt.Fprintf(stdout, "%-16s %6d %10s %10s %10s\n", h, cpuSums[h].n, millis(cpuSums[h].median),
			millis(cpuSums[h].p10), millis(cpuSums[h].p90))
	}
	fmt.Fprintln(stdout)
	var cpuResults []result
	for _, c := range comparisons {
		c.name = strings.Replace(c.name, "pod cycle", "pod cycle CPU", 1)
		c.target = 0
		cpuResults = append(cpuResults, result{comparison: c, ratio: ratioOf(cpuSums[c.num], cpuSums[c.den])})
	}
	printRatios(stdout, cpuResults)
	fmt.Fprintf(stdout, "\nruntime calls in one pod cycle: %s\n", countCalls(string(counted)))
	return nil
}

func millis(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}

func reversed(s []int) []int {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}

// podCycle runs one pod with one container through handler and removes
// it, and returns how long that took and the CPU time the daemon and
// what it ran used meanwhile.
func podCycle(d *cribed.Daemon, handler string) (time.Duration, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cpu0, err := d.CPU()
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	p, err := d.RunPod(ctx, cribed.PodSpec{Name: "cycle", Namespace: "bench", Handler: handler, Annotations: criAnnotations})
	if err != nil {
		return 0, 0, err
	}
	_, err = p.Start(ctx, cribed.ContainerSpec{Name: "pause", Args: []string{"pause"}})
	if rerr := p.Remove(ctx); err == nil {
		err = rerr
	}
	elapsed := time.Since(start)
	cpu1, cerr := d.CPU()
	if err == nil {
		err = cerr
	}
	return elapsed, cpu1 - cpu0, err
}

// countCalls sums the runtime's command lines by subcommand: "8 (create
// 2, start 2, …)".
func countCalls(log string) string {
	subcommands := []string{"create", "start", "state", "kill", "delete", "exec", "features", "pause", "resume", "update", "events", "ps"}
	n := map[string]int{}
	var order []string
	total := 0
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		if line == "" {
			continue
		}
		total++
		sub := "other"
		for _, arg := range strings.Fields(line) {
			if slices.Contains(subcommands, arg) {
				sub = arg
				break
			}
		}
		if n[sub] == 0 {
			order = append(order, sub)
		}
		n[sub]++
	}
	var parts []string
	for _, sub := range order {
		parts = append(parts, fmt.Sprintf("%s %d", sub, n[sub]))
	}
	return fmt.Sprintf("%d (%s)", total, strings.Join(parts, ", "))
}
