package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/cmd/internal/runcargs"
	"github.com/ww-dev/ww/fdmgr"
	"github.com/ww-dev/ww/spec"
)

// callerFDs are the fds the caller already passes to the lower runtime,
// which keep their numbers: socket-activation fds that the runtime
// forwards (LISTEN_FDS, when LISTEN_PID is this process) first, then the
// caller's --preserve-fds. ww's fds land after them.
type callerFDs struct {
	listen, preserve int
}

func callerFDsOf(a *runcargs.Args) callerFDs {
	return callerFDs{listen: callerListenFDs(), preserve: max(a.PreserveFDs, 0)}
}

// count is the number of fds the caller passes.
func (c callerFDs) count() int { return c.listen + c.preserve }

// first is where ww's first fd lands.
func (c callerFDs) first() int { return fdmgr.FirstFD + c.count() }

// env is the lower runtime's environment. ww starts the lower runtime as
// its child, so LISTEN_PID cannot name it: ww passes socket-activation
// fds on as preserved fds, sets LISTEN_FDS and LISTEN_PID=1 in the config
// as the runtime would have set them for the container (configEdits), and
// takes the variables out of the runtime's environment.
func (c callerFDs) env(env []string) []string {
	if c.listen == 0 {
		return env
	}
	return fdmgr.Environ(env)
}

// callerListenFDs is the number of socket-activation fds the caller
// passes: LISTEN_FDS, when LISTEN_PID is this process.
func callerListenFDs() int {
	pid, err := strconv.Atoi(os.Getenv(fdmgr.EnvListenPID))
	if err != nil || pid != os.Getpid() {
		return 0
	}
	n, err := strconv.Atoi(os.Getenv(fdmgr.EnvListenFDs))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// planFDs turns the granted requests into an FDManager whose fds land
// after the caller's. It opens nothing.
func planFDs(grants []grant, caller callerFDs) (*fdmgr.FDManager, error) {
	m := fdmgr.NewFDManager()
	m.First = caller.first()
	for i, g := range grants {
		add := m.AddSource
		if g.held > 0 {
			add = func(name string, s fdmgr.Source) error { return m.AddHeld(name, s, g.held) }
		}
		if err := add(g.Name, g.open); err != nil {
			// The fds taken from the sandbox: m owns those before (AddHeld
			// closed this one's), the rest are still the grants'.
			m.Close()
			closeTaken(grants[i+1:])
			return nil, fmt.Errorf("annotation %q: %q: %w", g.Key, quoteValue(g.Source), err)
		}
	}
	return m, nil
}

// closeTaken closes the fds that grants hold, taken from the pod's
// sandbox.
func closeTaken(grants []grant) {
	for _, g := range grants {
		if g.held > 0 {
			unix.Close(g.held)
		}
	}
}

// checkKinds refuses a source that is of no kind at all, before the gate
// judges it: an annotation names a file or socket.
func checkKinds(c *createRequest) error {
	for _, r := range c.reqs.FDs {
		if !strings.Contains(r.Source, ":") {
			// Not even an fd number, which the annotation parser refused.
			return fmt.Errorf("annotation %q: %q is of no known kind: want %s or \"node:\"",
				r.Key, quoteValue(r.Source), strings.Replace(fdmgr.PrefixList(fdmgr.OpenedKinds()), " or ", ", ", 1))
		}
	}
	return nil
}

// ownFDs is how many fds ww needs besides one per fd it hands over: the
// bundle's lock and the fork's pipe (the save's folder and new file are
// closed by then, and the pidfd is left out when no fd is free for it).
const ownFDs = 3

// fdsNeeded is the fd limit that a create of n fds after the caller's
// needs. ww's copies of its n fds sit above the table (first+n: see
// lowerFiles), so they reach first+2n-1; the fork moves its status pipe
// above the highest fd it is given when the pipe is below it, so one
// number more must be under the limit; the lock and the pipe take the
// table's free numbers, or, with fewer than ownFDs fds, the numbers above.
func fdsNeeded(caller callerFDs, n int) uint64 {
	return uint64(caller.first()) + uint64(max(2*n+1, n+ownFDs))
}

// roomToSaveLater tells whether the fds that a save left for later holds
// (spec.PendingSaveFDs) fit under the fd limit beside everything that
// checkFDLimit counts; at the limit, the config is saved whole at once.
func roomToSaveLater(caller callerFDs, n int) bool {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return false
	}
	return fdsNeeded(caller, n)+spec.PendingSaveFDs <= lim.Cur
}

// checkFDLimit makes sure that the caller's fds, ww's n fds and ww's own
// fit under the fd limit, which pinFDLimit made the lower runtime's too.
func checkFDLimit(caller callerFDs, n int) error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("fd limit: %w", err)
	}
	first := uint64(caller.first())
	if fdsNeeded(caller, n) <= lim.Cur {
		return nil
	}
	if first+1+ownFDs > lim.Cur {
		what := fmt.Sprintf("--preserve-fds %d", caller.preserve)
		if caller.listen > 0 {
			what += fmt.Sprintf(" and LISTEN_FDS %d", caller.listen)
		}
		return fmt.Errorf("%s: the caller's fds would end at fd %d, and ww needs %d more and one per fd it adds: past the fd limit %d",
			what, first-1, ownFDs, lim.Cur)
	}
	return fmt.Errorf("annotations ask for %d fds, at %d to %d, and ww needs %d more: past the fd limit %d",
		n, first, first+uint64(n)-1, fdsNeeded(caller, n)-first-uint64(n), lim.Cur)
}

// checkOptions checks the options the annotations set against the
// config and the caller's fds: socket activation needs the named fds at
// 3, 4, … and the container's process at pid 1 of its own namespace.
func checkOptions(c *createRequest, caller callerFDs, view *specs.Spec) error {
	if !c.reqs.Options.Systemd || len(c.reqs.FDs) == 0 {
		return nil
	}
	key := spec.OptionAnnotationPrefix + spec.SystemdOption
	if caller.count() > 0 {
		return fmt.Errorf("annotation %q: the caller already passes fds at %d to %d, and socket activation needs the named fds there",
			key, fdmgr.FirstFD, caller.first()-1)
	}
	if err := checkOwnPIDNamespace(view); err != nil {
		return fmt.Errorf("annotation %q: %w", key, err)
	}
	return nil
}

// openFDs opens every request; an error names the annotation whose source
// could not be opened, and leaves nothing open or made.
func openFDs(m *fdmgr.FDManager, c *createRequest) error {
	err := m.PrepareFDs()
	var oe *fdmgr.OpenError
	if errors.As(err, &oe) {
		for _, r := range c.reqs.FDs {
			if r.Name == oe.Name {
				return fmt.Errorf("annotation %q: %q: %w", r.Key, quoteValue(r.Source), oe.Err)
			}
		}
	}
	return err
}

// closeFDs closes ww's copies of the fds once the lower runtime is done.
// Unless a container now holds them, the files that opening made
// (listen:unix: sockets, create= files) are removed: a refused or
// interrupted create leaves nothing ww made.
func closeFDs(m *fdmgr.FDManager, kept bool) {
	if kept {
		m.Close()
		return
	}
	m.Abort()
}

// configEdits are the edits of the config: WW_FD_* for ww's fds, and the
// socket-activation variables, which ww owns in every config it edits:
// with the systemd option, for ww's fds; with socket-activation fds from
// the caller, as the runtime would set them for those; otherwise none.
// Each edit removes what an earlier one set.
func configEdits(m *fdmgr.FDManager, c *createRequest, caller callerFDs) ([]spec.Modifier, error) {
	var listen []string
	switch {
	case c.reqs.Options.Systemd && m.Len() > 0:
		var err error
		// The container's process is pid 1 of its own namespace.
		if listen, err = m.SystemdEnvVars(1); err != nil {
			return nil, err
		}
	case caller.listen > 0:
		listen = []string{fdmgr.EnvListenFDs + "=" + strconv.Itoa(caller.listen), fdmgr.EnvListenPID + "=1"}
	}
	return []spec.Modifier{spec.FDEnv(m.GenerateEnvVars()), spec.SystemdEnv(listen)}, nil
}

// quoteValue cuts a long annotation value for a message: a megabyte value
// must not become a megabyte log line.
func quoteValue(s string) string {
	const max = 256
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
