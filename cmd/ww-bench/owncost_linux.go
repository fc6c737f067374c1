package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ww runtime's own cost: each call of ww runtime with /bin/true as its
// lower runtime, against the floor (execrunc) exec'ing /bin/true with the
// same arguments. Whole runs with runc wander by a few per cent even over
// many runs, while these stay within a few microseconds; a target is then
// read as (F + own cost) / F, F being the floor's median for the same
// call with runc (issue 11).
const (
	ownFloorRun      = "own: floor run"
	ownWWRun         = "own: ww runtime run"
	ownWWRun20       = "own: ww runtime run, 20 fds"
	ownWWRunDisk     = "own: ww runtime run, disk"
	ownWWRun20Disk   = "own: ww runtime run, 20 fds, disk"
	ownFloorState    = "own: floor state"
	ownWWState       = "own: ww runtime state"
	ownFloorDelete   = "own: floor delete"
	ownWWDelete      = "own: ww runtime delete"
	ownFloorFeatures = "own: floor features"
	ownWWFeatures    = "own: ww runtime features"
	// trueRuntime is the lower runtime of the own-cost cases.
	trueRuntime = "/bin/true"
)

// ownComparisons are the own-cost cases, as ratios (reported only: the
// targets are read from the differences, below).
func ownComparisons() []comparison {
	return []comparison{
		{name: "own cost: ww runtime run / floor", num: ownWWRun, den: ownFloorRun},
		{name: "own cost: ww runtime run, 20 fds / floor", num: ownWWRun20, den: ownFloorRun},
		{name: "own cost: ww runtime run, disk / floor", num: ownWWRunDisk, den: ownFloorRun},
		{name: "own cost: ww runtime run, 20 fds, disk / floor", num: ownWWRun20Disk, den: ownFloorRun},
		{name: "own cost: ww runtime state / floor", num: ownWWState, den: ownFloorState},
		{name: "own cost: ww runtime delete / floor", num: ownWWDelete, den: ownFloorDelete},
		{name: "own cost: ww runtime features / floor", num: ownWWFeatures, den: ownFloorFeatures},
	}
}

// costTarget is one of issue 11's targets: whole, a ratio of
// containerComparisons whose denominator is F; own, one of
// ownComparisons, whose difference is ww's own cost.
type costTarget struct {
	name, whole, own string
	target           float64
}

func costTargets() []costTarget {
	return []costTarget{
		{"run, 2 fds, tmpfs", "ww runtime run / execrunc run", "own cost: ww runtime run / floor", 1.03},
		{"run, 20 fds, tmpfs", "ww runtime run, 20 fds / execrunc run", "own cost: ww runtime run, 20 fds / floor", 1.06},
		{"run, 2 fds, disk", "ww runtime run, disk / execrunc run, disk", "own cost: ww runtime run, disk / floor", 1.03},
		{"run, 20 fds, disk", "ww runtime run, 20 fds, disk / execrunc run, disk", "own cost: ww runtime run, 20 fds, disk / floor", 1.06},
		{"state", "ww runtime state / execrunc state", "own cost: ww runtime state / floor", 1.02},
		{"delete", "ww runtime delete / execrunc delete", "own cost: ww runtime delete / floor", 1.02},
		{"features", "ww runtime features / execrunc features", "own cost: ww runtime features / floor", 1.02},
	}
}

// containerSelection is what -run picks of the container ratios: the
// whole-run and own-cost ratios whose names match, and for a target
// whose name matches (as "target: state"), both of its ratios.
func containerSelection(only interface{ MatchString(string) bool }) []comparison {
	want := make(map[string]bool)
	for _, t := range costTargets() {
		if only.MatchString("target: " + t.name) {
			want[t.whole], want[t.own] = true, true
		}
	}
	var out []comparison
	for _, c := range append(containerComparisons(), ownComparisons()...) {
		if want[c.name] || only.MatchString(c.name) {
			out = append(out, c)
		}
	}
	return out
}

// ownCases are the cases of ownComparisons: the same argv as the
// container cases, the lower runtime /bin/true.
func ownCases(ww string, t containerTools, c *containers) []benchCase {
	global := []string{"--root", c.root}
	floor := func(name string, args ...string) benchCase {
		return benchCase{name: name, argv: append([]string{t.execRunc, trueRuntime}, append(slices.Clone(global), args...)...)}
	}
	wwCase := func(name string, args ...string) benchCase {
		env := []string{"WW_LOWER_RUNTIME=" + trueRuntime}
		if p, ok := c.policies[name]; ok {
			env = append(env, "WW_POLICY="+p)
		}
		return benchCase{name: name, argv: append([]string{ww, "runtime"}, append(slices.Clone(global), args...)...), env: env}
	}
	id := fmt.Sprintf("ww-bench-%d-own", os.Getpid())
	run := func(name string) []string { return []string{"run", "--bundle", c.bundles[name], id} }
	cases := []benchCase{
		floor(ownFloorRun, run(ownWWRun)...),
		wwCase(ownWWRun, run(ownWWRun)...),
		wwCase(ownWWRun20, run(ownWWRun20)...),
		floor(ownFloorState, "state", id),
		wwCase(ownWWState, "state", id),
		floor(ownFloorDelete, "delete", id),
		wwCase(ownWWDelete, "delete", id),
		floor(ownFloorFeatures, "features"),
		wwCase(ownWWFeatures, "features"),
	}
	if c.noDisk == "" {
		cases = append(cases, wwCase(ownWWRunDisk, run(ownWWRunDisk)...), wwCase(ownWWRun20Disk, run(ownWWRun20Disk)...))
	}
	return cases
}

// skips binds the comparisons that cannot run everywhere to why they
// cannot here.
func (c *containers) skips(comparisons []comparison, t containerTools) {
	for i, cmp := range comparisons {
		switch {
		case strings.Contains(cmp.name, "disk") && c.noDisk != "":
			why := c.noDisk
			comparisons[i].skip = func(*runner) string { return why }
		case strings.HasPrefix(cmp.name, "nvidia-container-runtime") && t.nvidiaMissing != "":
			why := t.nvidiaMissing
			comparisons[i].skip = func(*runner) string { return why }
		}
	}
}

// diskFolder makes a folder for bundles on a file system that is not a
// tmpfs, as Podman keeps its bundles under /var/lib/containers; "" when
// there is none.
func diskFolder() (string, error) {
	for _, parent := range []string{os.TempDir(), "/var/tmp"} {
		var fs unix.Statfs_t
		if unix.Statfs(parent, &fs) != nil || fs.Type == unix.TMPFS_MAGIC {
			continue
		}
		return os.MkdirTemp(parent, "ww-bench-disk-")
	}
	return "", nil
}

// printTargets prints issue 11's targets as (F + own cost) / F, for each
// whose cases were measured.
func printTargets(w io.Writer, whole, own map[string]summary) {
	byName := make(map[string]comparison)
	for _, c := range append(containerComparisons(), ownComparisons()...) {
		byName[c.name] = c
	}
	var rows []string
	for _, t := range costTargets() {
		wc, oc := byName[t.whole], byName[t.own]
		f, okF := whole[wc.den]
		ownWW, okW := own[oc.num]
		ownFloor, okO := own[oc.den]
		if !okF || !okW || !okO {
			continue
		}
		cost := ownWW.median - ownFloor.median
		value := float64(f.median+cost) / float64(f.median)
		verdict := "meets target"
		if value > t.target {
			verdict = "MISSES target"
		}
		rows = append(rows, fmt.Sprintf("%-20s %10s %10s %9.3f %8s  %s", t.name, micros(f.median), microsSigned(cost), value,
			fmt.Sprintf("≤ %.2f", t.target), verdict))
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintln(w, "\nww runtime's targets as (F + own cost) / F: F is the floor's median with runc (execrunc),")
	fmt.Fprintln(w, "own cost ww runtime's median less the floor's, both with /bin/true as the lower runtime")
	fmt.Fprintf(w, "%-20s %10s %10s %9s %8s\n", "call", "F", "own cost", "(F+own)/F", "target")
	for _, r := range rows {
		fmt.Fprintln(w, r)
	}
}

func microsSigned(d time.Duration) string {
	if d < 0 {
		return "-" + micros(-d)
	}
	return micros(d)
}

// nvidiaModule is the peer wrapper that -nvidia-build builds: NVIDIA's
// runtime wrapper, which edits config.json on create and execs runc, as
// ww runtime does. It needs cgo.
const nvidiaModule = "github.com/NVIDIA/nvidia-container-toolkit/cmd/nvidia-container-runtime@v1.17.8"

// findNvidia returns the path of the peer wrapper, building it into dir
// first when dir is given and holds none; why, when there is none.
func findNvidia(name, dir string, stderr io.Writer) (path, why string) {
	if dir != "" {
		built := filepath.Join(dir, "nvidia-container-runtime")
		if _, err := os.Stat(built); err != nil {
			fmt.Fprintf(stderr, "ww-bench: building %s into %s\n", nvidiaModule, dir)
			cmd := exec.Command("go", "install", nvidiaModule)
			cmd.Env = append(os.Environ(), "GOBIN="+dir, "CGO_ENABLED=1")
			cmd.Stdout, cmd.Stderr = stderr, stderr
			if err := cmd.Run(); err != nil {
				return "", fmt.Sprintf("building it into %s failed: %v", dir, err)
			}
		}
		name = built
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Sprintf("%s is not on PATH (-nvidia-build DIR builds it from the module proxy)", name)
	}
	return path, ""
}
