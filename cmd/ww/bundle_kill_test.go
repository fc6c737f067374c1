package main

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// bundlesRootForTest is where ww keeps its copies of bundles when run as
// root, as README says.
const bundlesRootForTest = "/run/ww/bundles"

// killedRun is how one run of ww that the test signalled ended.
type killedRun struct {
	id     string
	wwPid  int
	status syscall.WaitStatus
	hung   bool // still running 10 s after the signal; then killed
}

// runSignalled starts ww with args, sends it sig after delay, and waits
// for it, at most 10 s.
func runSignalled(t *testing.T, id string, sig syscall.Signal, delay time.Duration, args ...string) killedRun {
	t.Helper()
	cmd := exec.Command(wwBin, args...)
	cmd.Env = cleanEnv()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(delay)
	cmd.Process.Signal(sig)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	r := killedRun{id: id, wwPid: cmd.Process.Pid}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		r.hung = true
		cmd.Process.Kill()
		<-done
	}
	r.status = cmd.ProcessState.Sys().(syscall.WaitStatus)
	return r
}

// parallelRuns calls run(i) for i in [0, n) on a few goroutines at once.
func parallelRuns(n, workers int, run func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				run(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// leftovers lists what of the container id is still there: the runtime's
// container, processes in its cgroup (runc init or the program), and
// ww's folder for its run.
func leftovers(id string) []string {
	var left []string
	if out, err := exec.Command("runc", "state", id).CombinedOutput(); err == nil {
		left = append(left, "container: "+strings.Join(strings.Fields(string(out)), " "))
	}
	for _, pid := range processesOf(id) {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		left = append(left, fmt.Sprintf("process %d (%s)", pid, bytes.TrimSpace(comm)))
	}
	dirs, _ := filepath.Glob(filepath.Join(bundlesRootForTest, id+"-*"))
	for _, d := range dirs {
		left = append(left, "folder "+d)
	}
	return left
}

// processesOf returns the live processes whose cgroup is named id, as
// runc names a container's cgroup after its id by default.
func processesOf(id string) []int {
	procs, _ := filepath.Glob("/proc/[0-9]*/cgroup")
	var pids []int
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(b, []byte("/"+id+"\n")) {
			continue
		}
		pid, _ := strconv.Atoi(strings.Split(p, "/")[2])
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if i := bytes.LastIndexByte(stat, ')'); err == nil && i > 0 && len(stat) > i+2 && stat[i+2] != 'Z' {
			pids = append(pids, pid)
		}
	}
	return pids
}

// waitNoLeftovers waits up to d for everything of id to be gone and
// returns what is still there.
func waitNoLeftovers(id string, d time.Duration) []string {
	deadline := time.Now().Add(d)
	for {
		left := leftovers(id)
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// forceRemove deletes whatever a failed run left of id, so that one
// failure does not leave the machine running containers.
func forceRemove(id string) {
	exec.Command("runc", "delete", "--force", id).Run()
	dirs, _ := filepath.Glob(filepath.Join(bundlesRootForTest, id+"-*"))
	for _, d := range dirs {
		os.RemoveAll(d)
	}
}

// TestBundleKilledLeavesNothing kills ww run --bundle at random moments,
// from before the runtime's create to the container's run, with SIGTERM
// and with SIGKILL: nothing of the run may outlive it. After SIGTERM, ww
// cleans up before it exits; after SIGKILL, ww's watcher does at once,
// and the next ww run --bundle sweeps what a watcher could not.
func TestBundleKilledLeavesNothing(t *testing.T) {
	requireRunc(t)
	t.Parallel()
	// A program that runs until a signal and then ends at once keeps the
	// runs short; the probe waits for a quiet spell after one.
	bundle := makeBundle(t, []string{"signals", "1"}, nil)
	program := []string{"/probe", "signals", "1"}
	if latetrapBin != "" {
		copyToRootfs(t, bundle, latetrapBin, "latetrap")
		program = []string{"/latetrap", "0"}
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(unix.SignalName(sig)+", nothing left", func(t *testing.T) {
			const runs = 200 // each signal, as the reliability issue asks
			runsOf := make([]killedRun, runs)
			parallelRuns(runs, 4, func(i int) {
				id := testID(fmt.Sprintf("ww-kill-%d-%d", sig, i))
				delay := time.Duration(rand.IntN(150)) * time.Millisecond
				args := append([]string{"run", "--bundle", bundle, "--id", id, "--with-fd", "in=0", "--"}, program...)
				runsOf[i] = runSignalled(t, id, sig, delay, args...)
			})
			if sig == syscall.SIGKILL {
				// A run killed before its watcher started is swept by
				// the next one.
				swept := 0
				for _, r := range runsOf {
					if len(waitNoLeftovers(r.id, 5*time.Second)) > 0 {
						swept++
					}
				}
				t.Logf("%d runs left something for the next run to sweep", swept)
				res := runWW(t, nil, cleanEnv(), "run", "--bundle", bundle, "--id", testID("ww-kill-sweep"), "--", "/probe", "exit", "0")
				if res.code != 0 {
					t.Errorf("the sweeping run: exit %d, stderr %q", res.code, res.stderr)
				}
			}
			failed := 0
			for i, r := range runsOf {
				if r.hung {
					t.Errorf("run %d: ww still ran 10 s after %v", i, sig)
				}
				if left := waitNoLeftovers(r.id, 5*time.Second); len(left) > 0 {
					failed++
					t.Errorf("run %d (%s): left %q", i, r.id, left)
					forceRemove(r.id)
				}
			}
			t.Logf("%d runs killed by %s, %d left something", runs, unix.SignalName(sig), failed)
		})
	}
}

// TestBundleSignalBeforeHandler sends SIGTERM at random moments in the
// first 60 ms of a run whose container's process, pid 1 of its own pid
// namespace, handles SIGTERM only 10 ms after it starts. A SIGTERM the
// kernel would drop (pid 1 has no handler yet) must still end the run:
// each run ends with the program's own status (3: it handled the
// signal) or 143 (or by SIGTERM itself, before ww caught signals), and
// leaves no container.
func TestBundleSignalBeforeHandler(t *testing.T) {
	requireRunc(t)
	if latetrapBin == "" {
		t.Skip("needs gcc and a static libc to build latetrap-c (make test installs gcc)")
	}
	t.Parallel()
	bundle := makeBundle(t, nil, nil)
	copyToRootfs(t, bundle, latetrapBin, "latetrap")
	const runs = 100
	var mu sync.Mutex
	counts := map[string]int{}
	parallelRuns(runs, 4, func(i int) {
		id := testID(fmt.Sprintf("ww-late-%d", i))
		delay := time.Duration(rand.IntN(60_000)) * time.Microsecond
		r := runSignalled(t, id, syscall.SIGTERM, delay, "run", "--bundle", bundle, "--id", id, "--", "/latetrap", "10")
		outcome := fmt.Sprintf("exit %d", r.status.ExitStatus())
		switch {
		case r.hung:
			outcome = "hung"
			t.Errorf("run %d (SIGTERM at %v): ww still ran 10 s later: the signal was lost", i, delay)
		case r.status.Signaled():
			// Before ww catches signals, SIGTERM ends it by its default
			// action, which a shell reports as 143 too.
			outcome = "died of " + unix.SignalName(r.status.Signal())
			if r.status.Signal() != syscall.SIGTERM {
				t.Errorf("run %d (SIGTERM at %v): ww %s, want exit status 3 or 143", i, delay, outcome)
			}
		case r.status.ExitStatus() != 3 && r.status.ExitStatus() != 128+int(syscall.SIGTERM):
			t.Errorf("run %d (SIGTERM at %v): ww %s, want exit status 3 or 143", i, delay, outcome)
		}
		if left := leftovers(id); len(left) > 0 {
			t.Errorf("run %d: left %q", i, left)
			forceRemove(id)
		}
		mu.Lock()
		counts[outcome]++
		mu.Unlock()
	})
	t.Logf("%d runs: %v", runs, counts)
}

// copyToRootfs copies the binary at src into the bundle's rootfs as name.
func copyToRootfs(t *testing.T, bundle, src, name string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "rootfs", name), b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// buildLatetrap builds the static C program that handles SIGTERM late,
// or returns "" when the machine cannot (make test installs gcc).
func buildLatetrap(dir string) string {
	out := filepath.Join(dir, "latetrap")
	cmd := exec.Command("gcc", "-static", "-O2", "-Wall", "-o", out, "../internal/latetrap-c/main.c")
	if b, err := cmd.CombinedOutput(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return "" // no gcc
		}
		fmt.Fprintf(os.Stderr, "build latetrap-c: %v\n%s", err, b)
		return ""
	}
	return out
}

// TestBundleSweepAfterWatcherKilled kills ww and its watcher while the
// container runs: the container stays, until the next ww run --bundle
// deletes it, and removes the run's folder, before it starts its own.
func TestBundleSweepAfterWatcherKilled(t *testing.T) {
	requireRunc(t)
	bundle := makeBundle(t, []string{"signals", "1"}, nil)
	id := testID("ww-sweep")
	cmd := exec.Command(wwBin, "run", "--bundle", bundle, "--id", id)
	cmd.Env = cleanEnv()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	startSignalProbe(t, cmd, out)
	folder := fmt.Sprintf("%s/%s-%d", bundlesRootForTest, id, cmd.Process.Pid)
	watcher := processWithArgs("--clean-after-run", folder)
	if watcher == 0 {
		t.Fatalf("no watcher for %s", folder)
	}
	syscall.Kill(watcher, syscall.SIGKILL)
	cmd.Process.Kill()
	cmd.Wait()
	time.Sleep(200 * time.Millisecond)
	if left := leftovers(id); len(left) < 3 {
		t.Fatalf("with ww and its watcher killed, left %q; want the container, its process and the folder", left)
	}
	res := runWW(t, nil, cleanEnv(), "run", "--bundle", bundle, "--id", testID("ww-sweeper"), "--", "/probe", "exit", "0")
	if res.code != 0 {
		t.Errorf("the next run: exit %d, stderr %q", res.code, res.stderr)
	}
	if left := leftovers(id); len(left) > 0 {
		t.Errorf("after the next run, left %q", left)
		forceRemove(id)
	}
}

// processWithArgs returns the pid of a process whose arguments end with
// args, or 0.
func processWithArgs(args ...string) int {
	want := []byte(strings.Join(args, "\x00") + "\x00")
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err == nil && bytes.HasSuffix(b, want) {
			pid, _ := strconv.Atoi(strings.Split(p, "/")[2])
			return pid
		}
	}
	return 0
}
