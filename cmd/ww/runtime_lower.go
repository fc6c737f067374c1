package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/cmd/internal/fastpath"
)

// Where the lower runtime comes from: the environment, then a file with
// its path or name on the first line, then runc from PATH. The fast path
// (package fastpath) finds it the same way.
const (
	lowerRuntimeEnv  = fastpath.LowerRuntimeEnv
	lowerRuntimeFile = fastpath.LowerRuntimeFile
	defaultLower     = fastpath.DefaultLower
	// maxLowerRuntimeFile bounds the read of lowerRuntimeFile: one line.
	maxLowerRuntimeFile = fastpath.MaxLowerRuntimeFile
)

// loopEnv marks the environment of every lower runtime ww starts. A lower
// runtime that is a wrapper starting ww runtime again would otherwise
// loop, each round adding fds and rewriting config.json, until the fd
// table is full; ww refuses to run with the mark set.
const loopEnv = fastpath.LoopEnv

// checkNoLoop refuses a ww runtime started by one of its own lower
// runtimes.
func checkNoLoop() error {
	if lower, ok := os.LookupEnv(loopEnv); ok {
		return fmt.Errorf("ww runtime was started again by its own lower runtime %q (%s is set): "+
			"the lower runtime must be the real runtime, not a wrapper that runs ww; set %s or %s",
			lower, loopEnv, lowerRuntimeEnv, lowerRuntimeFile)
	}
	return nil
}

// lowerEnv is the environment of the lower runtime: env with the loop
// mark.
func lowerEnv(env []string, lower string) []string {
	return append(env[:len(env):len(env)], loopEnv+"="+lower)
}

// passThrough replaces ww with the lower runtime, argv as it came. It
// returns only if the exec fails.
func passThrough(lower string, args []string) error {
	err := syscall.Exec(lower, append([]string{lower}, args...), lowerEnv(os.Environ(), lower))
	return &exitError{code: exitCannotExec, err: fmt.Errorf("exec %q: %w", lower, err)}
}

// findLowerRuntime resolves the lower runtime and makes sure it is not ww
// itself, which would exec itself for ever.
func findLowerRuntime() (string, error) {
	name, from := os.Getenv(lowerRuntimeEnv), lowerRuntimeEnv
	if name == "" {
		b, err := readFileRaw(lowerRuntimeFile, maxLowerRuntimeFile)
		switch {
		case err == nil:
			name, from = strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]), lowerRuntimeFile
		case !errors.Is(err, unix.ENOENT):
			// A file that is there but cannot be read must not quietly
			// mean runc.
			return "", fmt.Errorf("lower runtime from %s: %w", lowerRuntimeFile, err)
		}
	}
	if name == "" {
		name, from = defaultLower, "the default"
	}
	// Callers may run the runtime with almost no environment (Podman
	// deletes containers with XDG_RUNTIME_DIR alone): findExecutable
	// then searches the usual places.
	// The lower runtime is stat'ed once, by the search.
	path, st, err := lookExecutable(name, os.Getenv("PATH"))
	if err != nil {
		return "", fmt.Errorf("lower runtime %q (from %s): %w", name, from, err)
	}
	var self unix.Stat_t
	if unix.Stat("/proc/self/exe", &self) == nil && self.Dev == st.Dev && self.Ino == st.Ino {
		return "", fmt.Errorf("lower runtime %q (from %s) is ww itself", path, from)
	}
	return path, nil
}
