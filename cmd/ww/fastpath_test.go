package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ww-dev/ww/cmd/internal/fastpath"
	"github.com/ww-dev/ww/hook"
)

// TestFastPath checks that ww runtime linked without the early entry
// (wwTryBin; TestEarly checks the entry) hands a call it passes
// through to the lower runtime from fastpath.Try, before the packages of
// the rest of ww are initialised
// (GODEBUG=inittrace=1 lists each package as it is: reflect, net and any
// of github.com must not be among them, os must), under both of its
// names and for a delete of a container without a record, and that the
// lower runtime gets the argv and environment that the full path gives
// it (a create of a bundle that asks for nothing goes the full path, as
// does a delete of a container with a record: their initialisation lists
// net).
func TestFastPath(t *testing.T) {
	lower := newFakeLower(t, 0)
	dir := t.TempDir()
	link := filepath.Join(dir, "ww-runtime")
	if err := os.Symlink(wwTryBin, link); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "log.json")
	env := append(os.Environ(), lowerRuntimeEnv+"="+lower.path, "GODEBUG=inittrace=1", "WW_STATE_DIR="+filepath.Join(dir, "records"))
	call := func(argv ...string) (inits []string, c fakeCall) {
		t.Helper()
		lower.reset(t)
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%q: %v\n%s", argv, err, out)
		}
		// ww's trace only: the lower runtime's probe, a Go program too,
		// traces its own start from the runtime's first package on.
		for _, line := range strings.Split(string(out), "\n") {
			if name, ok := strings.CutPrefix(line, "init "); ok {
				pkg := strings.Fields(name)[0]
				if pkg == "internal/bytealg" && len(inits) > 0 {
					break
				}
				inits = append(inits, pkg)
			}
		}
		calls := lower.calls(t)
		if len(calls) != 1 {
			t.Fatalf("%q: %d calls of the lower runtime", argv, len(calls))
		}
		return inits, calls[0]
	}
	root := filepath.Join(dir, "root")
	runcArgs := []string{"--root", root, "--log", log, "kill", "c1", "KILL"}
	noRecord := []string{"--root", root, "--log", log, "delete", "--force", "c1"}
	var fast []fakeCall
	for _, argv := range [][]string{
		append([]string{wwTryBin, "runtime"}, runcArgs...),
		append([]string{link}, runcArgs...),
		append([]string{wwTryBin, "runtime"}, noRecord...),
	} {
		inits, c := call(argv...)
		if !slices.Contains(inits, "os") {
			t.Fatalf("%q: no init trace of os (%q)", argv, inits)
		}
		for _, pkg := range inits {
			if pkg == "reflect" || pkg == "net" || pkg == "os/signal" || strings.HasPrefix(pkg, "github.com/") {
				t.Errorf("%q: %s was initialised before the lower runtime ran: inits %q", argv, pkg, inits)
			}
		}
		if want := argv[len(argv)-len(runcArgs):]; argv[len(argv)-3] == "delete" {
			if !slices.Equal(c.argv, noRecord) {
				t.Errorf("%q: lower runtime's argv %q, want %q", argv, c.argv, noRecord)
			}
		} else if !slices.Equal(c.argv, want) {
			t.Errorf("%q: lower runtime's argv %q, want %q", argv, c.argv, want)
		}
		fast = append(fast, c)
	}
	createArgs := []string{"--root", root, "--log", log, "create", "--bundle", fakeBundle(t, nil, nil), "c2"}
	inits, full := call(append([]string{wwTryBin, "runtime"}, createArgs...)...)
	if !slices.Contains(inits, "net") {
		t.Fatalf("create: net not initialised (%q): not the full path", inits)
	}
	if !slices.Equal(full.argv, createArgs) {
		t.Errorf("create: lower runtime's argv %q, want %q", full.argv, createArgs)
	}
	// A record of c1 under root: its delete goes the full path.
	records := filepath.Join(dir, "records")
	if err := os.MkdirAll(records, 0o700); err != nil {
		t.Fatal(err)
	}
	name, err := hook.Name("c1", root)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(records, name), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if inits, _ := call(append([]string{wwTryBin, "runtime"}, noRecord...)...); !slices.Contains(inits, "net") {
		t.Errorf("delete of a container with a record: net not initialised (%q): not the full path", inits)
	}
	want := envOf(full.env)
	if want[loopEnv] != lower.path {
		t.Errorf("full path: %s=%q, want %q", loopEnv, want[loopEnv], lower.path)
	}
	for i, c := range fast {
		got := envOf(c.env)
		delete(got, "_") // the shell's last command
		delete(want, "_")
		for k, v := range want {
			if got[k] != v {
				t.Errorf("fast call %d: %s=%q, the full path gives %q", i, k, got[k], v)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("fast call %d: %s set, which the full path does not set", i, k)
			}
		}
	}
}

// TestFastPathLeavesErrors checks that a call the fast path cannot finish
// goes the full path, which reports it: the loop mark set, and a lower
// runtime that is not there.
func TestFastPathLeavesErrors(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{[]string{loopEnv + "=/usr/bin/runc", lowerRuntimeEnv + "=/bin/true"}, "was started again by its own lower runtime"},
		{[]string{lowerRuntimeEnv + "=/nonexistent/runc"}, "(from WW_LOWER_RUNTIME): no such file"},
	} {
		cmd := exec.Command(wwBin, "runtime", "state", "c1")
		cmd.Env = append(os.Environ(), tc.env...)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("env %q: %v, output %q; want an error with %q", tc.env, err, out, tc.want)
		}
	}
}

// envOf maps KEY=VALUE lines to their values.
func envOf(lines []string) map[string]string {
	m := make(map[string]string)
	for _, l := range lines {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = v
		}
	}
	return m
}

// TestFastPathFindsTheSameLower checks that the fast path's search for
// the lower runtime finds what findLowerRuntime's does, for PATHs with
// folders, files that are not executable, empty and relative entries.
func TestFastPathFindsTheSameLower(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, d := range []string{"a", "b", "c", "rt"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("a/rt", 0o644)      // not executable
	write("b/rt", 0o755)      // the first that runs
	write("c/rt", 0o755)      // shadowed by b's
	write("rt/x", 0o755)      // a folder named rt holds this
	write("only-here", 0o755) // for an empty or "." entry
	for _, tc := range []struct{ path, name string }{
		{dir + "/a:" + dir + "/b:" + dir + "/c", "rt"},
		{dir + "//a/:" + dir + "/./b/", "rt"},
		{dir + ":" + dir + "/c", "rt"}, // dir/rt is a folder
		{":" + dir + "/a", "only-here"},
		{".:" + dir + "/a", "only-here"},
		{"./:" + dir + "/a", "only-here"},
		{dir + "/a", "rt"},
		{"", "sh"},
		{dir + "/b", "b/rt"},
		{dir + "/b", dir + "/c/rt"},
		{dir + "/b", "nothere"},
	} {
		t.Setenv("PATH", tc.path)
		want, wantSt, err := lookExecutable(tc.name, os.Getenv("PATH"))
		got, gotSt, ok := fastpath.LookExecutable(tc.name)
		if ok != (err == nil) || got != want || (ok && (gotSt.Ino != wantSt.Ino || gotSt.Dev != wantSt.Dev)) {
			t.Errorf("PATH=%q, %q: fast path %q, %v; findLowerRuntime's %q, %v", tc.path, tc.name, got, ok, want, err)
		}
	}
}
