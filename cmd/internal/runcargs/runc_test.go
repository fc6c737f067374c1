package runcargs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAgainstRunc runs the real runc on the table's argv, every absolute
// path moved into a temporary directory where no bundle exists, so that
// each create or run stops at the bundle: runc must chdir into the bundle
// Parse found, or look for config.json in the working directory when
// Parse found that; print help and succeed where Parse says help only; and
// fail wherever Parse fails, before reaching any bundle unless the flag is
// one runc checks later (--rootless).
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
			dir, argv := movedArgv(t, tc.argv)
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
			}
		})
	}
	for _, tc := range parseErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.differs != "" {
				t.Skip(tc.differs)
			}
			dir, argv := movedArgv(t, tc.argv)
			if _, err := Parse(argv, dir); err == nil {
				t.Fatalf("Parse(%q) succeeded, want error %q", argv, tc.want)
			}
			out, runcErr := runRunc(runc, dir, argv)
			if runcErr == nil {
				t.Fatalf("runc %q succeeded where Parse fails:\n%s", argv, out)
			}
			late := strings.HasPrefix(tc.want, "--rootless")
			if !late && (strings.Contains(out, "failed: chdir ") || strings.Contains(out, noConfig)) {
				t.Errorf("runc %q reached a bundle where Parse fails first:\n%s", argv, out)
			}
		})
	}
}

// noConfig is part of runc's error for a bundle without config.json.
const noConfig = "config.json not found"

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
