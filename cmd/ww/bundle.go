package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/fdmgr"
	"github.com/ww-dev/ww/spec"
)

// bundleOptions are the flags of ww run --bundle.
type bundleOptions struct {
	bundle, id, runtime string
	withFDs             []string
	systemd             bool
	args                []string // replace process.args when given
}

// validID reports whether id is what runc accepts as a container ID.
func validID(id string) bool {
	if id == "" {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_+-.", c)) {
			return false
		}
	}
	return true
}

// runBundle runs the bundle's container with the named fds at 3, 4, … in
// its process. The user's config.json is never written: ww edits a copy
// in a folder of its own (see runDir), whose root points at the user's
// rootfs. Nothing of the run outlives it: see runDir, and the README.
func runBundle(o bundleOptions) error {
	// Caught before anything is made, and held until the container's
	// process starts: a signal before then ends the run once what it
	// made is undone.
	sigs := catchSignals(true)
	m, cfg, rt, err := prepareBundle(o)
	if err != nil {
		return err
	}
	if o.id == "" {
		o.id = newID()
	}
	if sig := sigs.held(); sig != 0 {
		return signalExit(sig)
	}
	run, err := openRun(o.id, rt)
	if err != nil {
		return err
	}
	defer run.close()
	rt.lock = run.lock
	defer m.Close()
	started, err := startBundle(o, m, cfg, rt, run.path, sigs)
	if !started {
		// A refused or interrupted start leaves no file ww made.
		m.Abort()
	}
	return err
}

// startBundle opens the fds, writes ww's config into the run's folder
// dir and runs the container; started says whether its process ran.
func startBundle(o bundleOptions, m *fdmgr.FDManager, cfg *spec.Config, rt lowerRuntime, dir string, sigs *forwarder) (started bool, err error) {
	if err := m.PrepareFDs(); err != nil {
		return false, usageErr(fmt.Errorf("--with-fd %w", err))
	}
	mods := []spec.Modifier{spec.FDEnv(m.GenerateEnvVars()), spec.AbsRoot(o.bundle), spec.AbsBindSources(o.bundle)}
	if o.systemd {
		listen, err := m.SystemdEnvVars(1)
		if err != nil {
			return false, err
		}
		mods = append(mods, spec.SystemdEnv(listen))
	}
	if len(o.args) > 0 {
		mods = append(mods, spec.Args(o.args))
	}
	if err := spec.Apply(cfg.Spec, mods...); err != nil {
		return false, usageErr(fmt.Errorf("--bundle %q: %w", o.bundle, err))
	}
	if err := cfg.SaveFile(filepath.Join(dir, spec.ConfigName)); err != nil {
		return false, err
	}
	return runContainer(rt, o.id, dir, cfg.Spec.Process.Terminal, m.FDs(), sigs)
}

// signalExit is ww's status when signal sig ended the run before the
// container's process started.
func signalExit(sig syscall.Signal) error { return &exitError{code: exitSignalsBase + int(sig)} }

// prepareBundle checks everything about a --bundle run before anything
// is opened or started.
func prepareBundle(o bundleOptions) (*fdmgr.FDManager, *spec.Config, lowerRuntime, error) {
	m, err := parseWithFDs(o.withFDs)
	if err != nil {
		return nil, nil, lowerRuntime{}, err
	}
	if o.id != "" && !validID(o.id) {
		return nil, nil, lowerRuntime{}, usageErrf("--id %q: only letters, digits, '_', '+', '-' and '.' are allowed", o.id)
	}
	cfg, err := spec.Load(o.bundle)
	if err != nil {
		return nil, nil, lowerRuntime{}, usageErr(fmt.Errorf("--bundle %q: %w", o.bundle, err))
	}
	if cfg.Spec.Process == nil {
		return nil, nil, lowerRuntime{}, usageErrf("--bundle %q: config.json has no process to run", o.bundle)
	}
	if len(o.args) == 0 && len(cfg.Spec.Process.Args) == 0 {
		return nil, nil, lowerRuntime{}, usageErrf("--bundle %q: config.json has an empty process.args (give the program after --)", o.bundle)
	}
	if o.systemd {
		if err := checkOwnPIDNamespace(cfg.Spec); err != nil {
			return nil, nil, lowerRuntime{}, usageErr(fmt.Errorf("--systemd: %w", err))
		}
	}
	path, err := findExecutable(o.runtime, os.Getenv("PATH"))
	if err != nil {
		return nil, nil, lowerRuntime{}, &exitError{code: exitNotFound, err: fmt.Errorf("--runtime %q: %w", o.runtime, err)}
	}
	return m, cfg, lowerRuntime{path: path}, nil
}

// checkOwnPIDNamespace makes sure the container's process will be pid 1,
// the only way LISTEN_PID can be known before it starts.
func checkOwnPIDNamespace(s *specs.Spec) error {
	if s.Linux != nil {
		for _, ns := range s.Linux.Namespaces {
			if ns.Type != specs.PIDNamespace {
				continue
			}
			if ns.Path != "" {
				return fmt.Errorf("the container joins the pid namespace %q, so LISTEN_PID cannot be known before it starts", ns.Path)
			}
			return nil
		}
	}
	return errors.New("the container shares the host's pid namespace, so LISTEN_PID cannot be known before it starts")
}

func newID() string {
	b := make([]byte, 6)
	// getrandom(2) rather than crypto/rand, whose package start-up every
	// ww run would pay for.
	if _, err := unix.Getrandom(b, 0); err != nil {
		return fmt.Sprintf("ww-%d-%d", os.Getpid(), time.Now().UnixNano())
	}
	return "ww-" + hex.EncodeToString(b)
}
