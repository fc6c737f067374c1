package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ww-dev/ww/cmd/internal/cribed"
)

// The ways a restarted container gets its listener.
const (
	// restartHeld: the pod's sandbox holds it, through the ww handler.
	restartHeld = "ww, held"
	// restartOwn: the container binds its own, through the floor handler.
	restartOwn = "floor, own"
)

// restartRestarts is how many times a loop restarts its container.
const restartRestarts = 5

// restartComparisons are the ratios of the restart loops.
func restartComparisons() []comparison {
	return []comparison{{name: "restart to answer ww / floor", num: restartHeld, den: restartOwn, target: 1.03}}
}

// restartPolicy lets the benchmark's pods listen in their own network,
// which every policy grants.
const restartPolicy = "version: 1\n"

// loopResult is what one restart loop measured: the client's refusals,
// failures and answers, and for each restart the time from StopContainer
// to the first answer of the new process.
type loopResult struct {
	refused, failed, answered int
	toAnswer                  []time.Duration
}

// benchRestarts runs, for each containerd found, restart loops as the
// kubelet restarts a container (StopContainer, RemoveContainer,
// CreateContainer with the next attempt, StartContainer) while a client
// connects in a tight loop from inside the pod's network: through the
// ww handler with the pod's listener held by its sandbox, and through the
// floor handler with a container that binds its own; as root only.
func benchRestarts(o options, comparisons []comparison, stdout, stderr io.Writer) error {
	dir, bins, flavors, err := criSetup(o, "restart loops", restartPolicy, stdout)
	if dir == "" || err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	policy := filepath.Join(dir, "policy.yaml")
	for _, f := range flavors {
		d, err := cribed.Start(context.Background(), cribed.Options{
			Flavor: f, Probe: bins.Probe, Floor: bins.Floor,
			Env: []string{"WW_POLICY=" + policy},
			Handlers: []cribed.Handler{{Name: criWW, BinaryName: bins.WWRuntime,
				PodAnnotations: cribed.WWAnnotations, ContainerAnnotations: cribed.WWAnnotations}},
		})
		if err != nil {
			return fmt.Errorf("containerd %s: %w", f.Name, err)
		}
		err = benchRestartFlavor(o, d, comparisons, stdout, stderr)
		if cerr := d.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("containerd %s: %w", f.Name, err)
		}
	}
	return nil
}

func benchRestartFlavor(o options, d *cribed.Daemon, comparisons []comparison, stdout, stderr io.Writer) error {
	kinds := []string{restartHeld, restartOwn}
	totals := map[string]*loopResult{restartHeld: {}, restartOwn: {}}
	s := map[string]*samples{restartHeld: {}, restartOwn: {}}
	for round := range o.criRounds {
		for k := range kinds {
			kind := kinds[(round+k)%len(kinds)]
			r, err := restartLoop(d, kind)
			if err != nil {
				return fmt.Errorf("%s: %w", kind, err)
			}
			t := totals[kind]
			t.refused, t.failed, t.answered = t.refused+r.refused, t.failed+r.failed, t.answered+r.answered
			s[kind].rounds = append(s[kind].rounds, r.toAnswer)
			s[kind].all = append(s[kind].all, r.toAnswer...)
		}
		fmt.Fprintf(stderr, "ww-bench: containerd %s restart loops, round %d/%d done\n", d.Flavor.Name, round+1, o.criRounds)
	}
	fmt.Fprintf(stdout, "\nww-bench: container restarts through containerd %s's CRI, as the kubelet restarts\n", d.Flavor.Name)
	fmt.Fprintf(stdout, "(StopContainer, RemoveContainer, CreateContainer attempt+1, StartContainer), %d per\n", restartRestarts)
	fmt.Fprintf(stdout, "loop, %d loops each, while a client connects to the pod's 127.0.0.1:8080 in a tight\n", o.criRounds)
	fmt.Fprintf(stdout, "loop from inside the pod's network; time from StopContainer to the new process's\n")
	fmt.Fprintf(stdout, "first answer\n\n")
	fmt.Fprintf(stdout, "%-12s %-24s %9s %9s %9s %10s %10s %10s\n", "handler", "listener", "refused", "failed", "answered", "median", "p10", "p90")
	sums := map[string]summary{}
	for _, kind := range kinds {
		t := totals[kind]
		sums[kind] = summarize(*s[kind])
		listener := "held by the sandbox"
		if kind == restartOwn {
			listener = "bound by the container"
		}
		fmt.Fprintf(stdout, "%-12s %-24s %9d %9d %9d %10s %10s %10s\n", strings.Split(kind, ",")[0], listener,
			t.refused, t.failed, t.answered, millis(sums[kind].median), millis(sums[kind].p10), millis(sums[kind].p90))
	}
	fmt.Fprintln(stdout)
	var results []result
	for _, c := range comparisons {
		results = append(results, result{comparison: c, ratio: ratioOf(sums[c.num], sums[c.den])})
	}
	printRatios(stdout, results)
	return nil
}

// restartLoop runs one pod with one answering container of the kind,
// restarts the container restartRestarts times while a client connects,
// and removes the pod.
func restartLoop(d *cribed.Daemon, kind string) (loopResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pod := cribed.PodSpec{Name: "restart", Namespace: "bench", Handler: criWW,
		Annotations: map[string]string{"fd.ww.dev/http": "listen:tcp::8080"}}
	c := cribed.ContainerSpec{Name: "web", Args: []string{"answer", "http"}}
	if kind == restartOwn {
		pod = cribed.PodSpec{Name: "restart", Namespace: "bench", Handler: criFloor}
		c.Args = []string{"answer-bind", "8080"}
	}
	p, err := d.RunPod(ctx, pod)
	if err != nil {
		return loopResult{}, err
	}
	r, err := restarts(ctx, p, c)
	if rerr := p.Remove(ctx); err == nil {
		err = rerr
	}
	return r, err
}

func restarts(ctx context.Context, p *cribed.Pod, c cribed.ContainerSpec) (loopResult, error) {
	id, err := p.Start(ctx, c)
	if err != nil {
		return loopResult{}, err
	}
	cl, err := p.StartClient(ctx, "127.0.0.1:8080")
	if err != nil {
		return loopResult{}, err
	}
	defer cl.Stop()
	a, err := cl.WaitAnswerAfter(ctx, 0)
	if err != nil {
		return loopResult{}, err
	}
	var r loopResult
	for i := 1; i <= restartRestarts; i++ {
		c.Attempt = uint32(i)
		stop := time.Now()
		if id, err = p.Restart(ctx, id, c, 10*time.Second); err != nil {
			return loopResult{}, err
		}
		if a, err = cl.WaitAnswerAfter(ctx, a.Start); err != nil {
			return loopResult{}, err
		}
		r.toAnswer = append(r.toAnswer, a.At.Sub(stop))
	}
	seen := cl.Stop()
	r.refused, r.failed, r.answered = seen.Refused, len(seen.Errors), len(seen.Answers)
	return r, nil
}
