package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRuntimeConcurrentCreatesOwnConfig runs 20 creates of one bundle at
// once, half with --preserve-fds 2: each lower runtime must read a config
// whose WW_FD_* names where its own fd is.
func TestRuntimeConcurrentCreatesOwnConfig(t *testing.T) {
	lower := newFakeLower(t, 0)
	bundle := fakeBundle(t, map[string]string{"fd.ww.dev/log": "file:/etc/hostname"}, []string{"PATH=/bin"})
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := newRuntimeCall(t, lower)
			args := []string{"create", "--bundle", bundle}
			if i%2 == 1 {
				r.extra = tempFiles(t, 2)
				args = append(args, "--preserve-fds", "2")
			}
			_, codes[i] = r.run(t, append(args, "c"+strconv.Itoa(i))...)
		}()
	}
	wg.Wait()
	for i, code := range codes {
		if code != 0 {
			t.Errorf("create %d: exit %d", i, code)
		}
	}
	calls := lower.calls(t)
	if len(calls) != len(codes) {
		t.Fatalf("%d calls of the lower runtime, want %d", len(calls), len(codes))
	}
	for _, c := range calls {
		// ww passes its fd after the caller's: --preserve-fds 1 or 3.
		i := slices.Index(c.argv, "--preserve-fds")
		n, _ := strconv.Atoi(c.argv[min(i+1, len(c.argv)-1)])
		want := 3 + n - 1
		vars := wwVarsOf(configEnv(t, c.config))
		if !slices.Equal(vars, []string{"WW_FD_LOG=" + strconv.Itoa(want)}) || c.fds[want] != "/etc/hostname" {
			t.Errorf("call %q read WW_FD_* %q with fds %v; want WW_FD_LOG=%d, /etc/hostname there", c.argv, vars, c.fds, want)
		}
	}
}

// TestRuntimeLargeConfigs creates from large valid configs, 200 times:
// none may be refused, whatever the Go runtime does meanwhile, and none
// starts the poller.
func TestRuntimeLargeConfigs(t *testing.T) {
	lower := newFakeLower(t, 0)
	bigEnv := []string{"PATH=/bin", "BIG=" + strings.Repeat("x", 2<<20)}
	many := map[string]string{}
	for i := range 1000 {
		many["fd.ww.dev/f"+strconv.Itoa(i)] = "node:null"
	}
	two := map[string]string{"fd.ww.dev/a": "node:null", "fd.ww.dev/b": "file:/etc/hostname"}
	// A bundle per worker: this test is about large configs, not about
	// creates of one bundle waiting for each other.
	const runs, workers = 200, 4
	var bundles []string
	for w := range workers {
		if w%2 == 0 {
			bundles = append(bundles, fakeBundle(t, two, bigEnv))
		} else {
			bundles = append(bundles, fakeBundle(t, many, []string{"PATH=/bin"}))
		}
	}
	var failed []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < runs; i += workers {
				r := newRuntimeCall(t, lower)
				if _, code := r.run(t, "create", "--bundle", bundles[w], "big"+strconv.Itoa(i)); code != 0 {
					b, _ := os.ReadFile(r.log)
					mu.Lock()
					failed = append(failed, fmt.Sprintf("run %d: exit %d: %s", i, code, b))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if len(failed) > 0 {
		t.Fatalf("%d of %d creates refused; first: %s", len(failed), runs, failed[0])
	}
	// These saves leave their sync until the lower runtime runs (the fd
	// limit leaves room): no poller then either.
	for _, c := range lower.calls(t)[:10] {
		if c.fds[3] != "/dev/null" {
			t.Errorf("fd 3 of the lower runtime: %q, want /dev/null", c.fds[3])
		}
		checkNoPoller(t, c)
	}
}

// checkNoPoller fails if ww held the Go runtime's poller while the lower
// runtime of call c ran: ww's edit path, which may run with the caller's
// fds up to the limit, must never start it.
func checkNoPoller(t *testing.T, c fakeCall) {
	t.Helper()
	for fd, what := range c.parentFDs {
		if strings.Contains(what, "eventpoll") || strings.Contains(what, "eventfd") {
			t.Errorf("call %q: ww holds the Go runtime's poller at fd %d (%s)", c.argv, fd, what)
		}
	}
	if len(c.parentFDs) == 0 {
		t.Errorf("call %q: no record of ww's fds", c.argv)
	}
}

// TestRuntimeStaleVariables: a config ww edited keeps no WW_FD_* or
// LISTEN_* once the annotations that asked for them are gone.
func TestRuntimeStaleVariables(t *testing.T) {
	lower := newFakeLower(t, 0)
	ann := map[string]string{"fd.ww.dev/log": "file:/etc/hostname", "options.ww.dev/systemd": "true"}
	bundle := fakeBundle(t, ann, []string{"PATH=/bin", "LISTEN_FDNAMES=old"})
	steps := []struct {
		name string
		ann  map[string]string
		want []string
	}{
		{"fd and systemd: both sets", ann, []string{"WW_FD_LOG=3", "LISTEN_FDS=1", "LISTEN_FDNAMES=log", "LISTEN_PID=1"}},
		{"systemd gone: LISTEN_* gone", map[string]string{"fd.ww.dev/log": "file:/etc/hostname"}, []string{"WW_FD_LOG=3"}},
		{"fd gone: WW_FD_* gone", nil, nil},
		{"nothing asked, nothing left: untouched", nil, nil},
	}
	for i, step := range steps {
		if i > 0 {
			// The next create of the same bundle, as ww left it, with
			// the annotations changed.
			data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
			if err != nil {
				t.Fatal(err)
			}
			writeConfig(t, bundle, step.ann, configEnv(t, data))
		}
		lower.reset(t)
		r := newRuntimeCall(t, lower)
		if _, code := r.run(t, "create", "--bundle", bundle, "stale"); code != 0 {
			t.Fatalf("%s: exit %d", step.name, code)
		}
		calls := lower.calls(t)
		if len(calls) != 1 {
			t.Fatalf("%s: %d calls", step.name, len(calls))
		}
		got := wwVarsOf(configEnv(t, calls[0].config))
		if !slices.Equal(got, step.want) {
			t.Errorf("%s: the lower runtime read %q, want %q", step.name, got, step.want)
		}
	}
}

// TestRuntimeLoopRefused: a lower runtime that runs ww runtime again is
// refused at once, not followed until the fd table is full.
func TestRuntimeLoopRefused(t *testing.T) {
	dir := t.TempDir()
	loop := filepath.Join(dir, "loop")
	if err := os.WriteFile(loop, []byte("#!/bin/sh\nexec "+wwBin+" runtime \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	bundle := fakeBundle(t, map[string]string{"fd.ww.dev/log": "file:/etc/hostname"}, nil)
	for _, args := range [][]string{{"create", "--bundle", bundle, "loop"}, {"state", "loop"}} {
		r := newRuntimeCall(t, newFakeLower(t, 0))
		r.env = append(cleanEnv(), "WW_LOWER_RUNTIME="+loop)
		start := time.Now()
		_, code := r.run(t, args...)
		if code == 0 {
			t.Fatalf("%s: succeeded", args[0])
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: took %v", args[0], d)
		}
		if msg := r.logLine(t); !strings.Contains(msg, "started again by its own lower runtime") || !strings.Contains(msg, loop) {
			t.Errorf("%s: log %q, want the loop named", args[0], msg)
		}
	}
	// The outer create wrote the config once, for its one fd.
	after, _ := os.ReadFile(filepath.Join(bundle, "config.json"))
	if vars := wwVarsOf(configEnv(t, after)); !slices.Equal(vars, []string{"WW_FD_LOG=3"}) {
		t.Errorf("config's WW_FD_* %q, want WW_FD_LOG=3", vars)
	}
}

// TestRuntimeLowerIsWW: a lower runtime that is ww itself is refused,
// naming it and where it came from: before anything is opened on create,
// and by the ww it becomes on a pass-through (which does not look first).
func TestRuntimeLowerIsWW(t *testing.T) {
	bundle := fakeBundle(t, map[string]string{"fd.ww.dev/log": "file:/etc/hostname"}, nil)
	before, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"create", "--bundle", bundle, "self"}, {"state", "self"}} {
		r := newRuntimeCall(t, newFakeLower(t, 0))
		r.env = append(cleanEnv(), "WW_LOWER_RUNTIME="+wwBin)
		_, code := r.run(t, args...)
		if code != 1 {
			t.Errorf("%s: status %d, want 1", args[0], code)
		}
		want := fmt.Sprintf("lower runtime %q (from WW_LOWER_RUNTIME) is ww itself", wwBin)
		if msg := r.logLine(t); !strings.Contains(msg, want) {
			t.Errorf("%s: log %q, want %q", args[0], msg, want)
		}
	}
	if after, _ := os.ReadFile(filepath.Join(bundle, "config.json")); !bytes.Equal(after, before) {
		t.Errorf("config changed:\n%s", after)
	}
}

// TestRuntimeRefusalsBeforeLower: input refused before anything runs is
// one JSON log line naming the culprit; the lower runtime is not called
// and the config is untouched.
func TestRuntimeRefusalsBeforeLower(t *testing.T) {
	dup := t.TempDir()
	if err := os.WriteFile(filepath.Join(dup, "config.json"),
		[]byte(`{"process":{"args":["a"]},"annotations":{"fd.ww.dev/a":"node:null"},"annotations":{"fd.ww.dev/b":"node:null"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	zero := t.TempDir()
	if err := os.Symlink("/dev/zero", filepath.Join(zero, "config.json")); err != nil {
		t.Fatal(err)
	}
	ann := map[string]string{"fd.ww.dev/log": "file:/etc/hostname"}
	huge := map[string]string{"fd.ww.dev/x": "file:/" + strings.Repeat("a", 1<<20)}
	tests := []struct {
		name   string
		bundle string
		flags  []string
		want   []string
	}{
		{"duplicate annotations key: refused", dup, nil, []string{`has the key "annotations" twice`}},
		{"config a link to /dev/zero: refused at once", zero, nil, []string{"config.json", "not a regular file"}},
		{"--preserve-fds 1000000: names the flag", fakeBundle(t, ann, nil), []string{"--preserve-fds", "1000000"},
			[]string{`--preserve-fds 1000000`, "past the fd limit"}},
		{"1 MiB value: message cut", fakeBundle(t, huge, nil), nil, []string{`fd.ww.dev/x`, "…"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lower := newFakeLower(t, 0)
			r := newRuntimeCall(t, lower)
			var config []byte
			if tt.bundle != zero { // never read /dev/zero
				config, _ = os.ReadFile(filepath.Join(tt.bundle, "config.json"))
			}
			args := append(append([]string{"create", "--bundle", tt.bundle}, tt.flags...), "refused")
			out, code := r.run(t, args...)
			if code != 1 || out != "" {
				t.Errorf("exit %d, stdout %q; want 1 and nothing", code, out)
			}
			msg := r.logLine(t)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("log %q does not say %q", msg, w)
				}
			}
			if len(msg) > 1000 {
				t.Errorf("log message is %d bytes", len(msg))
			}
			if n := len(lower.calls(t)); n != 0 {
				t.Errorf("lower runtime called %d times", n)
			}
			if tt.bundle == zero {
				return
			}
			if after, _ := os.ReadFile(filepath.Join(tt.bundle, "config.json")); !bytes.Equal(after, config) {
				t.Errorf("config changed")
			}
		})
	}
}

// TestRuntimeLowerExecFailure: a lower runtime that cannot be executed is
// named with the reason and status 126, on create as on a pass-through.
func TestRuntimeLowerExecFailure(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "lower")
	if err := os.WriteFile(bad, []byte("\x7fELF garbage"), 0o755); err != nil {
		t.Fatal(err)
	}
	bundle := fakeBundle(t, map[string]string{"fd.ww.dev/log": "file:/etc/hostname"}, nil)
	for _, args := range [][]string{{"create", "--bundle", bundle, "bad"}, {"state", "bad"}} {
		r := newRuntimeCall(t, newFakeLower(t, 0))
		r.env = append(cleanEnv(), "WW_LOWER_RUNTIME="+bad)
		if _, code := r.run(t, args...); code != 126 {
			t.Errorf("%s: exit %d, want 126", args[0], code)
		}
		if msg := r.logLine(t); msg != `exec "`+bad+`": exec format error` {
			t.Errorf("%s: log %q", args[0], msg)
		}
	}
}

// TestRuntimeLowerStatus: the lower runtime's failing status is ww's, and
// ww adds no log line of its own: the runtime wrote its reason.
func TestRuntimeLowerStatus(t *testing.T) {
	lower := newFakeLower(t, 3)
	r := newRuntimeCall(t, lower)
	sock := filepath.Join(t.TempDir(), "s.sock")
	bundle := fakeBundle(t, map[string]string{"fd.ww.dev/s": "listen:unix:" + sock}, nil)
	if _, code := r.run(t, "create", "--bundle", bundle, "status"); code != 3 {
		t.Errorf("exit %d, want 3", code)
	}
	if b, err := os.ReadFile(r.log); err == nil && len(b) > 0 {
		t.Errorf("ww logged %q", b)
	}
	if _, err := os.Lstat(sock); err == nil {
		t.Errorf("socket %s left after a failed create", sock)
	}
}

// TestRuntimeAtFDLimit: with the fd limit at 64 and the caller passing
// fds 3 to 59, a create works, and leaves no temporary file; ww never
// starts the Go runtime's poller, which would need fds it does not have.
func TestRuntimeAtFDLimit(t *testing.T) {
	lower := newFakeLower(t, 0)
	r := newRuntimeCall(t, lower)
	// Soft and hard: the Go runtime raises a soft limit to the hard one.
	r.prefix = "ulimit -n 64;"
	r.extra = tempFiles(t, 57)
	bundle := fakeBundle(t, map[string]string{"fd.ww.dev/log": "file:/etc/hostname"}, nil)
	if _, code := r.run(t, "create", "--bundle", bundle, "--preserve-fds", "57", "limit"); code != 0 {
		b, _ := os.ReadFile(r.log)
		t.Fatalf("exit %d: %s", code, b)
	}
	calls := lower.calls(t)
	if len(calls) != 1 {
		t.Fatalf("%d calls", len(calls))
	}
	c := calls[0]
	if c.fds[60] != "/etc/hostname" || !strings.HasSuffix(c.fds[3], "/f0") || !strings.HasSuffix(c.fds[59], "/f56") {
		t.Errorf("lower runtime's fds %v; want f0 at 3 … f56 at 59, /etc/hostname at 60", c.fds)
	}
	if vars := wwVarsOf(configEnv(t, c.config)); !slices.Equal(vars, []string{"WW_FD_LOG=60"}) {
		t.Errorf("WW_FD_* %q", vars)
	}
	checkNoPoller(t, c)
	entries, _ := os.ReadDir(bundle)
	for _, e := range entries {
		if e.Name() != "config.json" {
			t.Errorf("left in the bundle: %s", e.Name())
		}
	}
}

// TestRuntimeNearFDLimit sweeps the caller's fd count and the number of
// annotated fds across the fd limit (64): each create either works or
// is refused before anything is opened by checkFDLimit's message; none
// gets as far as the fork and fails there (the fork moves its status
// pipe above the highest fd it places, which must still be under the
// limit). A create that worked works again with the record it left,
// which ww cleans up after asking the lower runtime about it.
func TestRuntimeNearFDLimit(t *testing.T) {
	lower := newFakeLower(t, 0)
	worked, refused := 0, 0
	for n := 1; n <= 4; n++ {
		ann := make(map[string]string, n)
		for i := range n {
			ann[fmt.Sprintf("fd.ww.dev/l%d", i)] = "file:/etc/hostname"
		}
		bundle := fakeBundle(t, ann, nil)
		for preserve := 50; preserve <= 58; preserve++ {
			r := newRuntimeCall(t, lower)
			r.prefix = "ulimit -n 64;"
			r.extra = tempFiles(t, preserve)
			id := fmt.Sprintf("near-%d-%d-%d", preserve, n, os.Getpid())
			_, code := r.run(t, "create", "--bundle", bundle, "--preserve-fds", strconv.Itoa(preserve), id)
			b, _ := os.ReadFile(r.log)
			switch {
			case code == 0:
				worked++
			case strings.Contains(string(b), "past the fd limit 64"):
				refused++
			default:
				t.Errorf("--preserve-fds %d with %d fds: exit %d: %s", preserve, n, code, lastLines(b, 2))
			}
			if code != 0 {
				continue
			}
			// Again, with the record the first left: ww asks the lower
			// runtime whether that container is gone, with the fds it
			// has before opening its own, and must have enough.
			if _, code := r.run(t, "create", "--bundle", bundle, "--preserve-fds", strconv.Itoa(preserve), id); code != 0 {
				b, _ := os.ReadFile(r.log)
				t.Errorf("--preserve-fds %d with %d fds, a record there: exit %d: %s", preserve, n, code, lastLines(b, 2))
			}
		}
	}
	if worked == 0 || refused == 0 {
		t.Errorf("%d worked, %d refused: the sweep missed the limit", worked, refused)
	}
}
