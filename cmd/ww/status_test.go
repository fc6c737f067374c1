package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunExitStatus checks that ww exits as its child did.
func TestRunExitStatus(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"child exits 0, ww exits 0", []string{"exit", "0"}, 0},
		{"child exits 7, ww exits 7", []string{"exit", "7"}, 7},
		{"child exits 255, ww exits 255", []string{"exit", "255"}, 255},
		{"child killed by SIGTERM, ww exits 143", []string{"kill", "15"}, 143},
		{"child killed by SIGKILL, ww exits 137", []string{"kill", "9"}, 137},
		{"child killed by SIGSEGV, ww exits 139", []string{"sh", "-c", "kill -SEGV $$"}, 139},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			argv := append([]string{probeBin}, tc.args...)
			if tc.args[0] == "sh" {
				argv = tc.args
			}
			res := runWW(t, nil, nil, append([]string{"run", "--with-fd", "x=0", "--"}, argv...)...)
			if res.code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", res.code, tc.code, res.stderr)
			}
			if res.stderr != "" {
				t.Errorf("ww printed %q; a child's status is not an error of ww's", res.stderr)
			}
		})
	}
}

// TestRunBadInput checks that bad input gets one line naming the flag and
// the value, status 2 (126, 127 for BINARY), and that no child starts.
func TestRunBadInput(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "not-exec")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(dir, "started")
	child := []string{"/bin/sh", "-c", "touch " + marker}
	tests := []struct {
		name  string
		args  []string
		code  int
		wants []string // substrings of the one line
	}{
		{"missing =, usage error", []string{"--with-fd", "db3"}, 2, []string{`--with-fd "db3"`, `"="`}},
		{"empty name, usage error", []string{"--with-fd", "=3"}, 2, []string{`--with-fd "=3"`, "name is empty"}},
		{"empty fd, usage error", []string{"--with-fd", "db="}, 2, []string{`--with-fd "db="`, "empty"}},
		{"non-numeric fd, usage error", []string{"--with-fd", "db=x"}, 2, []string{`--with-fd "db=x"`, `fd "x" is not a number`}},
		{"fd: without number, usage error", []string{"--with-fd", "db=fd:"}, 2, []string{`--with-fd "db=fd:"`, "empty"}},
		{"negative fd, usage error", []string{"--with-fd", "db=-1"}, 2, []string{`--with-fd "db=-1"`, `fd "-1" is negative`}},
		{"huge fd, usage error", []string{"--with-fd", "db=99999999999"}, 2, []string{`--with-fd "db=99999999999"`, "out of range"}},
		{"fd not open in ww, usage error", []string{"--with-fd", "db=77"}, 2, []string{`--with-fd "db=77"`, "fd 77 is not open"}},
		{"name with a dot, usage error", []string{"--with-fd", "d.b=0"}, 2, []string{`--with-fd "d.b=0"`, `name "d.b"`}},
		{"name starting with a digit, usage error", []string{"--with-fd", "9db=0"}, 2, []string{`--with-fd "9db=0"`, "must start with an ASCII letter"}},
		{"name starting with é, usage error", []string{"--with-fd", "é=0"}, 2, []string{`--with-fd "é=0"`, `name "é" must start with an ASCII letter`}},
		{"name too long, usage error", []string{"--with-fd", strings.Repeat("a", 64) + "=0"}, 2, []string{"longer than 63"}},
		{"duplicate name, usage error", []string{"--with-fd", "db=0", "--with-fd", "db=1"}, 2, []string{`--with-fd "db=1"`, "twice"}},
		{"duplicate after case folding, usage error", []string{"--with-fd", "db=0", "--with-fd", "DB=1"}, 2, []string{`--with-fd "DB=1"`, "WW_FD_DB"}},
		{"duplicate after - to _, usage error", []string{"--with-fd", "a-b=0", "--with-fd", "a_b=1"}, 2, []string{`--with-fd "a_b=1"`, "WW_FD_A_B"}},
		{"--with-fd without value, usage error", []string{"--with-fd"}, 2, []string{"--with-fd needs a value"}},
		{"unknown flag, usage error", []string{"--with-fdd", "x=0"}, 2, []string{`"--with-fdd"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"run"}, tc.args...)
			if tc.name != "--with-fd without value, usage error" {
				args = append(append(args, "--"), child...)
			}
			assertRefused(t, runWW(t, nil, nil, args...), tc.code, tc.wants, marker)
		})
	}
	binaries := []struct {
		name  string
		args  []string
		code  int
		wants []string
	}{
		{"no BINARY, usage error", []string{"run", "--with-fd", "a=0"}, 2, []string{"no BINARY"}},
		{"BINARY not in PATH, 127", []string{"run", "ww-no-such-binary"}, 127, []string{`"ww-no-such-binary"`, "not found"}},
		{"BINARY path missing, 127", []string{"run", filepath.Join(dir, "missing")}, 127, []string{"missing"}},
		{"BINARY not executable, 126", []string{"run", notExec}, 126, []string{notExec, "not executable"}},
		{"BINARY a directory, 126", []string{"run", dir}, 126, []string{dir, "directory"}},
		{"unknown command, usage error", []string{"rnu"}, 2, []string{`"rnu"`}},
		{"fd not open and BINARY missing, usage error first", []string{"run", "--with-fd", "db=77", "--", "ww-no-such-binary"}, 2, []string{`--with-fd "db=77"`, "not open"}},
		{"--systemd=maybe, usage error", []string{"run", "--systemd=maybe", "/bin/true"}, 2, []string{`--systemd "maybe"`, "true or false"}},
	}
	for _, tc := range binaries {
		t.Run(tc.name, func(t *testing.T) {
			assertRefused(t, runWW(t, nil, nil, tc.args...), tc.code, tc.wants, marker)
		})
	}
}

func assertRefused(t *testing.T, res result, code int, wants []string, marker string) {
	t.Helper()
	if res.code != code {
		t.Errorf("exit %d, want %d (stderr %q)", res.code, code, res.stderr)
	}
	if strings.Count(res.stderr, "\n") != 1 || !strings.HasSuffix(res.stderr, "\n") {
		t.Errorf("stderr %q is not one line", res.stderr)
	}
	for _, w := range wants {
		if !strings.Contains(res.stderr, w) {
			t.Errorf("stderr %q does not name %q", res.stderr, w)
		}
	}
	if res.stdout != "" {
		t.Errorf("stdout %q, want nothing", res.stdout)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("a child was started")
		os.Remove(marker)
	}
}

// TestRunLooksUpPATH checks that BINARY is searched in PATH as exec does,
// skipping a non-executable candidate for a later executable one.
func TestRunLooksUpPATH(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(first, "wwprobe"), []byte("not a program"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(probeBin, filepath.Join(second, "wwprobe")); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "PATH="+first+":"+second)
	res := runWW(t, nil, env, "run", "wwprobe", "exit", "3")
	if res.code != 3 {
		t.Errorf("exit %d, want 3 from the probe found second in PATH (stderr %q)", res.code, res.stderr)
	}
	res = runWW(t, nil, []string{"HOME=/"}, "run", "true")
	if res.code != 0 {
		t.Errorf("exit %d without PATH, want 0 from true found in the default path (stderr %q)", res.code, res.stderr)
	}
	env = append(os.Environ(), "PATH="+first)
	res = runWW(t, nil, env, "run", "wwprobe")
	if res.code != 126 {
		t.Errorf("exit %d, want 126 for a candidate that is not executable (stderr %q)", res.code, res.stderr)
	}
}
