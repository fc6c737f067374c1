package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/fdmgr"
	"github.com/ww-dev/ww/hook"
	"github.com/ww-dev/ww/spec"
)

// The OCI stages ww hook is made for.
const (
	stageCreateRuntime = "createRuntime"
	stagePrestart      = "prestart" // createRuntime's deprecated twin
	stagePoststop      = "poststop"
)

// maxState bounds the read of the container's state on stdin.
const maxState = 1 << 20

// hookState is the part of the OCI state (specs.State) the hook reads.
type hookState = spec.State

// hookCommand is ww hook STAGE: the OCI hook that proves at
// createRuntime that ww runtime delivered a container's fds, and removes
// at poststop what ww made on the host for it. It trusts nothing of the
// container's but its config's requests: the proof is ww runtime's
// record, in a folder the container's author cannot write.
func hookCommand(args []string) error {
	if len(args) != 1 {
		return usageErrf("ww hook: want one STAGE (%s, %s or %s), got %d arguments", stageCreateRuntime, stagePrestart, stagePoststop, len(args))
	}
	stage := args[0]
	switch stage {
	case stageCreateRuntime, stagePrestart, stagePoststop:
	default:
		return usageErrf("ww hook: stage %q: want %s, %s or %s", quoteValue(stage), stageCreateRuntime, stagePrestart, stagePoststop)
	}
	st, err := readHookState()
	if err != nil {
		return fmt.Errorf("ww hook %s: %w", stage, err)
	}
	if spec.IsSandbox(st.Annotations) {
		// A pod's sandbox carries the pod's annotations but asks for
		// nothing: it holds the pod's listeners without WW_FD_*, and only
		// those ww could open for it (a sandbox that holds none is no
		// failure, see createSandbox). No program of it misses a name,
		// so there is nothing to prove; what it holds is proven in each
		// app container that takes it. Nor is there anything to clean
		// up: its record of listeners goes with its bundle, its sockets
		// with its process.
		return nil
	}
	reqs, err := spec.ParseAnnotations(st.Annotations)
	switch {
	case err == nil && len(reqs.FDs) == 0:
		return nil // not a container of ww's
	case stage == stagePoststop:
		// What ww made is found by its records, whatever the annotations
		// say: ww runtime made nothing for those it refuses, and a ww
		// that reads them otherwise than the one that made the record
		// must not keep its files on the host.
		err = hookPoststop(st)
	case err == nil:
		err = hookProve(st)
	}
	if err != nil {
		return fmt.Errorf("ww hook %s: container %q: %w", stage, quoteValue(st.ID), err)
	}
	return nil
}

// readHookState reads and checks the state on stdin, at most maxState
// bytes, with plain reads: the hook starts often and must start fast.
func readHookState() (*hookState, error) {
	// A state is a few KiB: a small first buffer spares the hook the
	// page faults of a large one.
	data := make([]byte, 0, 4<<10)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := unix.Read(0, data[len(data):min(cap(data), maxState+1)])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("state on stdin: %w", err)
		}
		if n == 0 {
			break
		}
		if data = data[:len(data)+n]; len(data) > maxState {
			return nil, fmt.Errorf("state on stdin: more than %d bytes", maxState)
		}
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, errors.New("state on stdin: empty; the runtime passes the container's state")
	}
	st, err := spec.ParseState(data)
	if err != nil {
		return nil, fmt.Errorf("state on stdin: not an OCI state: %v", err)
	}
	switch {
	case st.ID == "":
		return nil, errors.New("state on stdin: no container id")
	case !filepath.IsAbs(st.Bundle):
		return nil, fmt.Errorf("state on stdin: container %q: bundle %q is not an absolute path", quoteValue(st.ID), quoteValue(st.Bundle))
	}
	return st, nil
}

// findRecords finds ww runtime's records of the container: by its ID and
// its bundle folder's identity.
// No records folder is no record.
func findRecords(st *hookState) (*hook.Store, []*hook.Record, error) {
	store, err := hook.OpenStore(hook.DirFromEnv(os.Environ()), false)
	if errors.Is(err, unix.ENOENT) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var bst unix.Stat_t
	if err := unix.Stat(st.Bundle, &bst); err != nil {
		return nil, nil, fmt.Errorf("bundle %q: %w", st.Bundle, err)
	}
	recs, err := store.Find(st.ID, uint64(bst.Dev), bst.Ino)
	return store, recs, err
}

// hookProve checks that the container's init holds every fd its config
// asks for, as ww runtime opened it.
func hookProve(st *hookState) error {
	if st.Pid <= 0 {
		return errors.New("the state gives no pid: the hook belongs to createRuntime or prestart")
	}
	c, err := readRequest(st.Bundle)
	if err != nil {
		return err
	}
	wants := make([]hook.Want, 0, len(c.reqs.FDs))
	names := make([]string, 0, len(c.reqs.FDs))
	for _, r := range c.reqs.FDs {
		wants = append(wants, hook.Want{Name: r.Name, Target: envFD(c.head.Env, fdmgr.EnvName(r.Name))})
		names = append(names, r.Name)
	}
	_, recs, err := findRecords(st)
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		return fmt.Errorf("fds %s were not delivered: ww runtime has no record of this container: it was not started through ww-runtime: check its RuntimeClass (or the engine's runtime)",
			strings.Join(names, ", "))
	}
	var missing []hook.Missing
	for _, r := range recs {
		if missing = hook.Verify(r, st.Pid, wants); len(missing) == 0 {
			return nil
		}
	}
	why := make([]string, len(missing))
	for i, m := range missing {
		why[i] = m.Name + " (" + m.Why + ")"
	}
	return fmt.Errorf("fds not delivered as ww runtime opened them: %s: something changed the config or the fds after ww-runtime", strings.Join(why, ", "))
}

// envFD is the fd number that variable name gives in env, or -1.
func envFD(env []string, name string) int {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], name+"="); ok {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				return n
			}
			return -1
		}
	}
	return -1
}

// hookPoststop removes what ww made on the host for the stopped
// container, and its record; what is already gone is no error.
func hookPoststop(st *hookState) error {
	store, recs, err := findRecords(st)
	if errors.Is(err, unix.ENOENT) {
		return nil // the bundle is gone: nothing to find the record by
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range recs {
		// The container ran: what it wrote to create= files stays.
		if err := store.Clean(r, true); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
