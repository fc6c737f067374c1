package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/console"
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
// in a bundle of its own, whose root points at the user's rootfs.
func runBundle(o bundleOptions) error {
	m, cfg, rt, err := prepareBundle(o)
	if err != nil {
		return err
	}
	if o.id == "" {
		o.id = newID()
	}
	dir, err := os.MkdirTemp("", "ww-bundle-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	defer m.Close()
	if err := m.PrepareFDs(); err != nil {
		return usageErr(fmt.Errorf("--with-fd %w", err))
	}
	mods := []spec.Modifier{spec.FDEnv(m.GenerateEnvVars()), spec.AbsRoot(o.bundle), spec.AbsBindSources(o.bundle)}
	if o.systemd {
		listen, err := m.SystemdEnvVars(1)
		if err != nil {
			return err
		}
		mods = append(mods, spec.SystemdEnv(listen))
	}
	if len(o.args) > 0 {
		mods = append(mods, spec.Args(o.args))
	}
	if err := spec.Apply(cfg.Spec, mods...); err != nil {
		return usageErr(fmt.Errorf("--bundle %q: %w", o.bundle, err))
	}
	if err := cfg.SaveFile(filepath.Join(dir, spec.ConfigName)); err != nil {
		return err
	}
	return runContainer(rt, o.id, dir, cfg.Spec.Process.Terminal, m.FDs())
}

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

// runContainer creates and starts the container, waits for its process,
// and deletes it whatever happens. ww becomes a child subreaper so that
// the container's process, whose parent (the runtime) exits after create,
// is ww's to wait for.
func runContainer(rt lowerRuntime, id, bundle string, tty bool, fds []fdmgr.FD) error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("become subreaper: %w", err)
	}
	// A signal before the container's process runs ends ww, after the
	// container is deleted.
	sigs := catchSignals(true)

	opts := createOpts{bundle: bundle, pidFile: filepath.Join(bundle, "init.pid")}
	for _, fd := range fds {
		opts.files = append(opts.files, uintptr(fd.Dup))
	}
	var ptys chan ptyResult
	if tty {
		sock, err := newConsoleSocket(bundle)
		if err != nil {
			return err
		}
		defer sock.Close()
		opts.consoleSocket = sock.path
		// The runtime sends the terminal while it creates the container.
		ptys = make(chan ptyResult, 1)
		go func() {
			pty, err := sock.receive(30 * time.Second)
			ptys <- ptyResult{pty, err}
		}()
	}
	// ww's own inherited fds must not reach the runtime; the named ones
	// are passed on purpose.
	if err := fdmgr.CloseOnExecFrom(fdmgr.FirstFD); err != nil {
		return err
	}
	if err := rt.create(id, opts); err != nil {
		// A failed create cleans up after itself; the id may belong to
		// another container, which is not ww's to delete.
		return err
	}
	defer rt.delete(id)
	// The terminal gets its size, and ww its pid, before the process
	// starts.
	var term *terminal
	if tty {
		r := <-ptys
		if r.err != nil {
			return r.err
		}
		term = attachTerminal(r.pty)
		defer term.close()
	}
	pid, err := readPIDFile(opts.pidFile)
	if err != nil {
		return err
	}
	// What the process runs until the program's exec (see initSignals).
	runtimeExe, _ := exeOf(pid)
	if sig := sigs.starting(); sig != 0 {
		return &exitError{code: exitSignalsBase + int(sig)}
	}
	if err := rt.start(id); err != nil {
		return err
	}
	return waitContainer(pid, runtimeExe, sigs, term)
}

type ptyResult struct {
	pty console.Console
	err error
}

func readPIDFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("container pid: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("container pid file %q holds %q", path, b)
	}
	return pid, nil
}

// waitContainer passes signals to the container's process (see
// initSignals) until it ends; a window change resizes its terminal
// instead.
func waitContainer(pid int, runtimeExe exeID, sigs *forwarder, term *terminal) error {
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return fmt.Errorf("container process %d: %w", pid, err)
	}
	defer unix.Close(pidfd)
	var winch func()
	if term != nil {
		winch = term.resize
	}
	relay := newInitSignals(pid, pidfd, runtimeExe, winch)
	sigs.attach(relay.send)
	defer sigs.stop()
	for {
		wpid, ws, err := wait4(-1, 0)
		if err != nil {
			return fmt.Errorf("wait for the container: %w", err)
		}
		if wpid != pid {
			continue // a runtime helper that was reparented to ww
		}
		sigs.stop() // after which relay.killed is settled
		if relay.killed != 0 && ws.Signaled() && ws.Signal() == unix.SIGKILL {
			return &exitError{code: exitSignalsBase + int(relay.killed)}
		}
		return exitStatus(ws)
	}
}
