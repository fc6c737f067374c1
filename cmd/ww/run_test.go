package main

import (
	"errors"
	"flag"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestRunLandsFDsInOrder checks the child's exact fd table and WW_FD_*
// variables for orderings of --with-fd. ww holds files f0, f1, f2 at 3, 4, 5.
func TestRunLandsFDsInOrder(t *testing.T) {
	tests := []struct {
		name  string
		flags []string
		fds   map[int]string // child fd → ww fd it copies
		env   []string
	}{
		{"db=3 cache=4, db at 3 cache at 4", []string{"db=3", "cache=4"},
			map[int]string{3: "f0", 4: "f1"}, []string{"WW_FD_DB=3", "WW_FD_CACHE=4"}},
		{"cache=4 db=3, same as the other order", []string{"cache=4", "db=3"},
			map[int]string{3: "f0", 4: "f1"}, []string{"WW_FD_DB=3", "WW_FD_CACHE=4"}},
		{"5 and 3, ordered by source fd", []string{"z=5", "a=3"},
			map[int]string{3: "f0", 4: "f2"}, []string{"WW_FD_A=3", "WW_FD_Z=4"}},
		{"one fd under two names, ordered by name", []string{"b=4", "a=4"},
			map[int]string{3: "f1", 4: "f1"}, []string{"WW_FD_A=3", "WW_FD_B=4"}},
		{"sources 3..5 keep their numbers", []string{"c=5", "a=3", "b=4"},
			map[int]string{3: "f0", 4: "f1", 5: "f2"}, []string{"WW_FD_A=3", "WW_FD_B=4", "WW_FD_C=5"}},
		{"only fd 5, lands at 3", []string{"only=5"},
			map[int]string{3: "f2"}, []string{"WW_FD_ONLY=3"}},
		{"dashes and case, normalised variable", []string{"my-Sock=4"},
			map[int]string{3: "f1"}, []string{"WW_FD_MY_SOCK=3"}},
		{"fd: prefix, same as a bare number", []string{"x=fd:4"},
			map[int]string{3: "f1"}, []string{"WW_FD_X=3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"run"}
			for _, f := range tc.flags {
				args = append(args, "--with-fd", f)
			}
			res := runWW(t, tempFiles(t, 3), nil, append(args, "--", probeBin)...)
			if res.code != 0 {
				t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
			}
			r := parseReport(t, res.stdout)
			assertChildFDs(t, r, tc.fds)
			if got := r.wwVars(); !slices.Equal(got, tc.env) {
				t.Errorf("WW_FD_* = %q, want %q", got, tc.env)
			}
		})
	}
}

// assertChildFDs checks that the child holds 0, 1, 2 and exactly the
// wanted fds, each a copy of the named temp file and not close-on-exec.
func assertChildFDs(t *testing.T, r report, want map[int]string) {
	t.Helper()
	wantFDs := append([]int{0, 1, 2}, slices.Sorted(maps.Keys(want))...)
	slices.Sort(wantFDs)
	if got := slices.Sorted(maps.Keys(r.FDs)); !slices.Equal(got, wantFDs) {
		t.Fatalf("child fds %v (%v), want %v", got, r.FDs, wantFDs)
	}
	for fd, name := range want {
		if !strings.HasSuffix(r.FDs[fd], "/"+name) {
			t.Errorf("child fd %d is %q, want a copy of %s", fd, r.FDs[fd], name)
		}
		if r.Cloexec[fd] {
			t.Errorf("child fd %d has close-on-exec set", fd)
		}
	}
}

// TestRunStdStreamsAsSources hands 0, 1 and 2 over: each lands at 3+ and
// the child keeps its own 0, 1, 2.
func TestRunStdStreamsAsSources(t *testing.T) {
	res := runWW(t, nil, nil, "run", "--with-fd", "err=2", "--with-fd", "in=0", "--with-fd", "out=1", probeBin)
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	r := parseReport(t, res.stdout)
	want := []string{"WW_FD_IN=3", "WW_FD_OUT=4", "WW_FD_ERR=5"}
	if got := r.wwVars(); !slices.Equal(got, want) {
		t.Errorf("WW_FD_* = %q, want %q", got, want)
	}
	for target, src := range map[int]int{3: 0, 4: 1, 5: 2} {
		if r.FDs[target] != r.FDs[src] {
			t.Errorf("child fd %d is %q, want the same as its fd %d (%q)", target, r.FDs[target], src, r.FDs[src])
		}
	}
	if len(r.FDs) != 6 {
		t.Errorf("child fds %v, want 0..5", r.FDs)
	}
}

// TestRunIsolatesUnnamedFDs starts ww with fds 3..9 open without
// close-on-exec and names only fd 6: the child must hold nothing else, and
// nothing at fd 6 or 9.
func TestRunIsolatesUnnamedFDs(t *testing.T) {
	files := tempFiles(t, 7) // ww fds 3..9
	res := runWW(t, files, nil, "run", "--with-fd", "mid=6", probeBin)
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	r := parseReport(t, res.stdout)
	assertChildFDs(t, r, map[int]string{3: "f3"})
}

// TestRunSourceAtFDLimit hands ww a source at the last fd number its
// limit allows (ulimit -n 64, fd 63): the child must get it at 3 like any
// other. The fork places fds above the highest one it is given, so ww
// copies such a source lower down first.
func TestRunSourceAtFDLimit(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("needs bash")
	}
	cmd := exec.Command(bash, "-c", `ulimit -n 64 && exec 63<"$0" && exec "$1" run --with-fd top=63 -- "$2"`,
		"/etc/hostname", wwBin, probeBin)
	cmd.Env = cleanEnv()
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			stderr = ee.Stderr
		}
		t.Fatalf("ww: %v: %s", err, stderr)
	}
	r := parseReport(t, string(out))
	if got, want := r.wwVars(), []string{"WW_FD_TOP=3"}; !slices.Equal(got, want) {
		t.Errorf("WW_FD_* = %q, want %q", got, want)
	}
	if r.FDs[3] != "/etc/hostname" {
		t.Errorf("child fd 3 is %q, want /etc/hostname", r.FDs[3])
	}
	if len(r.FDs) != 4 {
		t.Errorf("child fds %v, want 0..3", r.FDs)
	}
}

// TestRunEnvironment checks that the child inherits ww's environment
// minus every outer WW_FD_* and LISTEN_* variable, plus its own.
func TestRunEnvironment(t *testing.T) {
	env := append(os.Environ(), "WW_FD_OUTER=7", "WW_FD_DB=9", "KEEP_ME=yes=really",
		"LISTEN_FDS=2", "LISTEN_PID=1", "LISTEN_FDNAMES=a:b")
	res := runWW(t, tempFiles(t, 1), env, "run", "--with-fd", "db=3", probeBin)
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	r := parseReport(t, res.stdout)
	if got := r.wwVars(); !slices.Equal(got, []string{"WW_FD_DB=3"}) {
		t.Errorf("WW_FD_* = %q, want only WW_FD_DB=3", got)
	}
	if !slices.Contains(r.Env, "KEEP_ME=yes=really") {
		t.Errorf("child env lacks KEEP_ME=yes=really: %q", r.Env)
	}
	for _, kv := range r.Env {
		if strings.HasPrefix(kv, "LISTEN_") {
			t.Errorf("child env has stale %q", kv)
		}
	}
}

// TestRunNoFDs runs a child with no named fds at all.
func TestRunNoFDs(t *testing.T) {
	res := runWW(t, tempFiles(t, 2), nil, "run", probeBin, "fds", "extra arg")
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	r := parseReport(t, res.stdout)
	assertChildFDs(t, r, nil)
	if want := []string{probeBin, "fds", "extra arg"}; !slices.Equal(r.Args, want) {
		t.Errorf("args %q, want %q", r.Args, want)
	}
}

// TestHostOnly checks the refusal of --bundle's own flags in a run
// without a bundle, from one parse of the command line.
func TestHostOnly(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // "" for no error
	}{
		{"only --with-fd, fine", []string{"--with-fd", "a=3", "prog"}, ""},
		{"--systemd, fine", []string{"--systemd", "prog"}, ""},
		{"empty --bundle, refused", []string{"--bundle", "", "prog"}, `--bundle "": the bundle folder is empty`},
		{"empty -b, refused", []string{"-b=", "prog"}, `-b "": the bundle folder is empty`},
		{"--id, refused", []string{"--id", "x", "prog"}, `--id "x": only with --bundle`},
		{"--runtime, refused", []string{"--runtime=crun", "prog"}, `--runtime "crun": only with --bundle`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := runFlags()
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			given := map[string]flag.Value{}
			fs.Visit(func(f *flag.Flag) { given[f.Name] = f.Value })
			err := hostOnly(given)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("hostOnly: %v, want none", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Errorf("hostOnly: %v, want %s", err, tc.want)
			}
		})
	}
}
