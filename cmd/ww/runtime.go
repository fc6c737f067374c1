package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/sirupsen/logrus"

	"github.com/ww-dev/ww/cmd/internal/runcargs"
	"github.com/ww-dev/ww/fdmgr"
	"github.com/ww-dev/ww/spec"
)

// runtimeName is the name under which ww acts as a runtime by itself, as
// when installed as a link: ww-runtime ARGS is ww runtime ARGS.
const runtimeName = "ww-runtime"

// Where the lower runtime comes from: the environment, then a file with
// its path or name on the first line, then runc from PATH.
const (
	lowerRuntimeEnv  = "WW_LOWER_RUNTIME"
	lowerRuntimeFile = "/etc/ww/lower-runtime"
	defaultLower     = "runc"
)

// runtimeMain is ww as an OCI runtime: it reads runc's command line, and
// on create and run adds the fds that the bundle's annotations ask for;
// everything else goes to the lower runtime untouched, ww replacing
// itself with it.
func runtimeMain(args []string, stderr io.Writer) error {
	// The bundle defaults to the working directory, which "." names for
	// every use ww makes of it, without asking the system where that is.
	a, perr := runcargs.Parse(args, ".")
	if perr != nil {
		a = &runcargs.Args{} // no --log to be had: stderr
	}
	lower, err := findLowerRuntime()
	switch {
	case err != nil:
	case perr != nil || !a.Creates():
		// The lower runtime is the judge of what it does not run.
		err = passThrough(lower, args)
	default:
		err = createWithFDs(lower, a)
	}
	if err == nil {
		return nil // not reached: success replaced ww with the runtime
	}
	// Every error is reported once, in the caller's log.
	code := exitFailure
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	logError(a, stderr, err)
	return &exitError{code: code}
}

// passThrough replaces ww with the lower runtime, argv as it came. It
// returns only if the exec fails.
func passThrough(lower string, args []string) error {
	err := syscall.Exec(lower, append([]string{lower}, args...), os.Environ())
	return &exitError{code: exitCannotExec, err: fmt.Errorf("exec %q: %w", lower, err)}
}

// createWithFDs edits the bundle's config.json for the fds its
// annotations ask for, opens them, and replaces ww with the lower
// runtime, passing them with --preserve-fds after the caller's own.
// It returns only on error, with nothing created and everything it
// opened closed.
func createWithFDs(lower string, a *runcargs.Args) error {
	// Until the target fds are reserved, nothing may go through the os
	// or net poller: see fdmgr.FDManager.ReserveTargets.
	path := filepath.Join(a.Bundle, spec.ConfigName)
	data, err := readFileRaw(path)
	if err != nil {
		return fmt.Errorf("load config %q: %w", path, err)
	}
	// Most containers ask for nothing: read their annotations alone, and
	// the whole config only for those that do.
	var head struct {
		Annotations map[string]string `json:"annotations"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return fmt.Errorf("load config %q: %w", path, err)
	}
	reqs, err := spec.ParseAnnotations(head.Annotations)
	if err != nil {
		return err
	}
	if len(reqs.FDs) == 0 {
		return passThrough(lower, a.Argv)
	}
	cfg, err := spec.Parse(data)
	if err != nil {
		return fmt.Errorf("load config %q: %w", path, err)
	}
	m, err := requestFDs(reqs, a)
	if err != nil {
		return err
	}
	defer m.Close()
	mods, err := fdModifiers(m, reqs, cfg)
	if err != nil {
		return err
	}
	// From here on ww opens: the requests above are what a node policy
	// would judge before this line.
	if err := m.ReserveTargets(); err != nil {
		return err
	}
	if err := m.PrepareFDs(); err != nil {
		return annotationError(reqs, err)
	}
	env := m.GenerateEnvVars()
	mods = append([]spec.Modifier{spec.FDEnv(env)}, mods...)
	if err := spec.Apply(cfg.Spec, mods...); err != nil {
		return err
	}
	if err := cfg.SaveFile(path); err != nil {
		return err
	}
	argv, err := a.WithPreserveFDs(max(a.PreserveFDs, 0) + m.Len())
	if err != nil {
		return err
	}
	return m.Exec(lower, append([]string{lower}, argv...), os.Environ(), fdmgr.ExecOptions{KeepOthers: true})
}

// annotationError names the annotation whose source could not be opened.
func annotationError(reqs spec.Requests, err error) error {
	var oe *fdmgr.OpenError
	if errors.As(err, &oe) {
		for _, r := range reqs.FDs {
			if r.Name == oe.Name {
				return fmt.Errorf("annotation %q: %q: %w", r.Key, r.Source, oe.Err)
			}
		}
	}
	return err
}

// requestFDs turns the annotations' requests into an FDManager whose fds
// land after the fds the caller already passes: socket-activation fds
// that the runtime forwards first, then the caller's --preserve-fds.
func requestFDs(reqs spec.Requests, a *runcargs.Args) (*fdmgr.FDManager, error) {
	m := fdmgr.NewFDManager()
	m.First = fdmgr.FirstFD + callerListenFDs() + max(a.PreserveFDs, 0)
	for _, r := range reqs.FDs {
		if !strings.Contains(r.Source, ":") {
			// Not even an fd number, which the annotation parser refused.
			return nil, fmt.Errorf("annotation %q: %q is of no known kind: want file:, unix:, tcp: or listen:", r.Key, r.Source)
		}
		if err := m.Add(r.Name, r.Source); err != nil {
			return nil, fmt.Errorf("annotation %q: %q: %w", r.Key, r.Source, err)
		}
	}
	return m, nil
}

// fdModifiers are the config edits besides WW_FD_*: with the systemd
// option, the socket-activation variables, LISTEN_PID being 1 as the
// container's process is pid 1 of its own namespace.
func fdModifiers(m *fdmgr.FDManager, reqs spec.Requests, cfg *spec.Config) ([]spec.Modifier, error) {
	if !reqs.Options.Systemd {
		return nil, nil
	}
	key := spec.OptionAnnotationPrefix + spec.SystemdOption
	if m.First != fdmgr.FirstFD {
		return nil, fmt.Errorf("annotation %q: the caller already passes fds at %d to %d, and socket activation needs the named fds there",
			key, fdmgr.FirstFD, m.First-1)
	}
	if err := checkOwnPIDNamespace(cfg.Spec); err != nil {
		return nil, fmt.Errorf("annotation %q: %w", key, err)
	}
	env, err := m.SystemdEnvVars(1)
	if err != nil {
		return nil, err
	}
	return []spec.Modifier{spec.SystemdEnv(env)}, nil
}

// callerListenFDs is the number of socket-activation fds the lower
// runtime will forward: LISTEN_FDS, when LISTEN_PID is this process,
// which stays the same through exec.
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

// findLowerRuntime resolves the lower runtime and makes sure it is not ww
// itself, which would exec itself for ever.
func findLowerRuntime() (string, error) {
	name, from := os.Getenv(lowerRuntimeEnv), lowerRuntimeEnv
	if name == "" {
		if b, err := readFileRaw(lowerRuntimeFile); err == nil {
			name, from = strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]), lowerRuntimeFile
		}
	}
	if name == "" {
		name, from = defaultLower, "the default"
	}
	// Callers may run the runtime with almost no environment (Podman
	// deletes containers with XDG_RUNTIME_DIR alone): findExecutable
	// then searches the usual places.
	path, err := findExecutable(name, os.Getenv("PATH"))
	if err != nil {
		return "", fmt.Errorf("lower runtime %q (from %s): %w", name, from, err)
	}
	var self, st syscall.Stat_t
	if syscall.Stat("/proc/self/exe", &self) == nil && syscall.Stat(path, &st) == nil &&
		self.Dev == st.Dev && self.Ino == st.Ino {
		return "", fmt.Errorf("lower runtime %q (from %s) is ww itself", path, from)
	}
	return path, nil
}

// logError logs err to the caller's --log file in its --log-format, as
// the lower runtime does, so that the caller finds ww's error where it
// looks for the runtime's; without --log, to stderr. The logger is made
// for this one call.
func logError(a *runcargs.Args, stderr io.Writer, err error) {
	log := logrus.New()
	log.Out = stderr
	if a.Log != "" {
		f, ferr := os.OpenFile(a.Log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if ferr == nil {
			defer f.Close()
			log.Out = f
		}
	}
	if a.LogFormat == "json" {
		log.Formatter = &logrus.JSONFormatter{}
	} else {
		log.Formatter = &logrus.TextFormatter{DisableColors: true, FullTimestamp: true}
	}
	log.Error(err.Error())
}
