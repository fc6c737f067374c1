package runcargs

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestAgainstRunc runs the real runc on the table's argv, every absolute
// path moved into a temporary directory where no bundle exists, so that
// each create or run stops at the bundle: runc must chdir into the bundle
// Parse found, or look for config.json in the working directory when
// Parse found that; print help and succeed where Parse says help only; and
// fail wherever Parse fails, before reaching any bundle unless the flag is
// one runc checks later (--rootless). runc 1.x reads no global flag after
// the subcommand: it must refuse each create or run of afterCases that
// has one, so that reading them there changes nothing runc 1.x takes.
func TestAgainstRunc(t *testing.T) {
	runc := findRunc(t)
	for _, tc := range parseCases {
		if tc.want.Command != Create && tc.want.Command != Run {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			if tc.differs != "" {
				t.Skip(tc.differs)
			}
			checkRuncReads(t, runc, tc.argv)
		})
	}
	for _, tc := range slices.Concat(parseErrorCases, afterErrorCases) {
		t.Run(tc.name, func(t *testing.T) {
			if tc.differs != "" {
				t.Skip(tc.differs)
			}
			checkRuncRefuses(t, runc, tc)
		})
	}
	for _, tc := range afterCases {
		if tc.want.Command != Create && tc.want.Command != Run {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			dir, argv := movedArgv(t, tc.argv)
			a, err := Parse(argv, dir)
			if err != nil {
				t.Fatalf("Parse(%q): %v", argv, err)
			}
			if len(laterSettings(t, a)) == 0 {
				checkRuncReads(t, runc, tc.argv) // global names as values only
				return
			}
			out, err := runRunc(runc, dir, argv)
			if err == nil || reachedBundle(out) {
				t.Errorf("runc %q: %v, want it refused before any bundle:\n%s", argv, err, out)
			}
		})
	}
}

// checkRuncReads checks that runc reads argv as Parse does: help and
// success, or a create or run that stops at the bundle Parse found,
// having logged to the --log file Parse found, in its --log-format, and
// to no other file.
func checkRuncReads(t *testing.T, runc, s string) {
	t.Helper()
	dir, argv := movedArgv(t, s)
	a, err := Parse(argv, dir)
	if err != nil {
		t.Fatalf("Parse(%q): %v", argv, err)
	}
	out, runcErr := runRunc(runc, dir, argv)
	switch {
	case !a.Creates() && runcErr != nil:
		t.Errorf("runc %q: %v, want help and success:\n%s", argv, runcErr, out)
	case !a.Creates():
	case a.Bundle == dir && !strings.Contains(out, noConfig):
		t.Errorf("runc %q did not look for config.json in the working directory:\n%s", argv, out)
	case a.Bundle != dir && !strings.Contains(out, "failed: chdir "+a.Bundle+": no such file"):
		t.Errorf("runc %q did not chdir into %q:\n%s", argv, a.Bundle, out)
	default:
		checkRuncLog(t, dir, a)
	}
}

// checkRuncLog checks that the only regular file that runc made in dir is
// the log Parse found, starting in the format Parse found.
func checkRuncLog(t *testing.T, dir string, a *Args) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if p := filepath.Join(dir, e.Name()); e.Type().IsRegular() && p != a.Log {
			t.Errorf("runc %q wrote %s, Parse found log %q", a.Argv, p, a.Log)
		}
	}
	if a.Log == "" {
		return
	}
	data, err := os.ReadFile(a.Log)
	if err != nil {
		t.Fatalf("runc %q, log %q: %v", a.Argv, a.Log, err)
	}
	start := "time="
	if a.LogFormat == "json" {
		start = `{"level":`
	}
	if !strings.HasPrefix(string(data), start) {
		t.Errorf("runc %q logged %q, want it to start with %q", a.Argv, data, start)
	}
}

// checkRuncRefuses checks that Parse refuses argv and runc does too,
// before reaching any bundle unless the flag is one runc checks later.
func checkRuncRefuses(t *testing.T, runc string, tc parseErrorCase) {
	t.Helper()
	dir, argv := movedArgv(t, tc.argv)
	if _, err := Parse(argv, dir); err == nil {
		t.Fatalf("Parse(%q) succeeded, want error %q", argv, tc.want)
	}
	out, runcErr := runRunc(runc, dir, argv)
	if runcErr == nil {
		t.Fatalf("runc %q succeeded where Parse fails:\n%s", argv, out)
	}
	late := strings.HasPrefix(tc.want, "--rootless")
	if !late && reachedBundle(out) {
		t.Errorf("runc %q reached a bundle where Parse fails first:\n%s", argv, out)
	}
}

// noConfig is part of runc's error for a bundle without config.json.
const noConfig = "config.json not found"

// reachedBundle reports whether runc's output says it looked for a bundle.
func reachedBundle(out string) bool {
	return strings.Contains(out, "failed: chdir ") || strings.Contains(out, noConfig)
}

func findRunc(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: runc create as another user takes other paths")
	}
	runc, err := exec.LookPath("runc")
	if err != nil {
		t.Skip("needs runc on PATH")
	}
	return runc
}

// movedArgv splits a table argv, moving each absolute path, alone or after
// "=", to a file of its own directly in a new temporary directory, which
// it returns too.
func movedArgv(t *testing.T, s string) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	move := func(p string) string {
		if !strings.HasPrefix(p, "/") {
			return p
		}
		return filepath.Join(dir, strings.ReplaceAll(p[1:], "/", "_"))
	}
	argv := splitArgv(s)
	for i, arg := range argv {
		if name, value, ok := strings.Cut(arg, "="); ok && strings.HasPrefix(arg, "-") {
			argv[i] = name + "=" + move(value)
			continue
		}
		argv[i] = move(arg)
	}
	return dir, argv
}

// runRunc runs runc in dir with a bare environment and returns what it
// printed, on both outputs.
func runRunc(runc, dir string, argv []string) (string, error) {
	cmd := exec.Command(runc, argv...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	out, err := cmd.CombinedOutput()
	return string(out), err
}
