package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/cmd/internal/fastpath"
	"github.com/ww-dev/ww/cmd/internal/runcargs"
	"github.com/ww-dev/ww/fdmgr"
	"github.com/ww-dev/ww/spec"
)

// runtimeName is the name under which ww acts as a runtime by itself, as
// when installed as a link: ww-runtime ARGS is ww runtime ARGS.
const runtimeName = fastpath.RuntimeName

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
	err := checkNoLoop()
	var lower string
	if err == nil {
		lower, err = findLowerRuntime()
	}
	switch {
	case err != nil:
	case perr != nil || !a.Creates():
		// The lower runtime is the judge of what it does not run.
		err = passOn(lower, a, args)
	default:
		err = create(lower, a)
	}
	var ee *exitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee) && ee.err == nil:
		// The lower runtime's own status: it said why, in the log.
		return err
	}
	// Every error of ww's is reported once, in the caller's log.
	code := exitFailure
	if ee != nil {
		code = ee.code
	}
	logError(a, stderr, err)
	return &exitError{code: code}
}

// create runs the lower runtime's create or run for a. When the bundle's
// config asks for nothing and holds nothing of ww's, ww replaces itself
// with the lower runtime. Otherwise the runtime path runs its parts in
// order: read the requests, judge them by the node policy, open the fds, edit the config,
// start the lower runtime with the fds. It returns the lower runtime's
// status, or an error with nothing created, everything it opened closed
// and every file it made removed.
func create(lower string, a *runcargs.Args) error {
	c, err := readRequest(a.Bundle)
	if err != nil {
		return err
	}
	if !c.edits() {
		if len(c.pod) > 0 {
			return createSandbox(lower, a, c)
		}
		return passThrough(lower, a.Argv)
	}
	quietRuntime()
	if err := pinFDLimit(); err != nil {
		return err
	}
	// Each create writes the config for its own fds and has the lower
	// runtime read that one: creates of one bundle take turns.
	unlock, err := lockBundle(a.Bundle, bundleLockWait)
	if err != nil {
		return err
	}
	defer unlock()
	// Read again: another create may have written it meanwhile.
	if c, err = c.reread(); err != nil {
		return err
	}
	if !c.edits() {
		unlock()
		return passThrough(lower, a.Argv)
	}
	return createLocked(lower, a, c)
}

// createLocked is create once the bundle is ww's alone. Everything is
// checked before the gate judges (and audits) a request.
func createLocked(lower string, a *runcargs.Args, c *createRequest) error {
	caller := callerFDsOf(a)
	view, err := c.view()
	if err != nil {
		return err
	}
	if err := checkConfig(c, caller, view); err != nil {
		return err
	}
	argv, err := a.WithPreserveFDs(caller.count() + len(c.reqs.FDs))
	if err != nil {
		return err
	}
	var grants []grant
	netns := ""
	if len(c.reqs.FDs) > 0 {
		g, err := newPolicyGate(os.Environ(), a.ID, c, view)
		if err != nil {
			return err
		}
		defer g.close()
		if grants, err = judgeAll(g, c); err != nil {
			return err
		}
		netns = g.listenNetNS()
		takePodListeners(lower, a, c, grants, netns)
		c.hooks = g.p.Hooks()
	}
	m, err := planFDs(grants, caller)
	if err != nil {
		return err
	}
	m.ListenNetNS = netns
	return openEditStart(lower, a, c, c.raw, m, caller, argv)
}

// checkConfig checks what a create asks against the config, the caller's
// fds and the fd limit, and that the config can be written back.
func checkConfig(c *createRequest, caller callerFDs, view *specs.Spec) error {
	if err := checkKinds(c); err != nil {
		return err
	}
	if err := checkOptions(c, caller, view); err != nil {
		return err
	}
	if err := checkFDLimit(caller, len(c.reqs.FDs)); err != nil {
		return err
	}
	// The runtime reads a config.json that is a symbolic link, but ww
	// writes its edit by a rename, which would replace the link.
	var st unix.Stat_t
	if err := unix.Lstat(c.path, &st); err != nil {
		return fmt.Errorf("load config %q: %w", c.path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fmt.Errorf("config %q is not a regular file (a symbolic link?): ww writes its edit by a rename, which would replace it", c.path)
	}
	return nil
}

// openEditStart opens the fds, edits the config and starts the lower
// runtime: the parts of the runtime path that make things on the host.
func openEditStart(lower string, a *runcargs.Args, c *createRequest, cfg *spec.RawConfig, m *fdmgr.FDManager, caller callerFDs, argv []string) error {
	// From here ww makes things on the host: a signal is held until they
	// are undone, or passed on to the lower runtime once it runs.
	sigs, err := holdSignals()
	if err != nil {
		closeFDs(m, false)
		return err
	}
	rec, err := openRecorded(lower, a, m, c)
	if err != nil {
		return err
	}
	kept := false
	// The config's sync (below) runs while the lower runtime runs, or
	// last if it never started: the record's end does not depend on it.
	// Its error is logged at the end, when the terminal (if any) is
	// ww's again, not the lower runtime's.
	finishSave := func() {}
	var saveErr error
	defer func() {
		closeFDs(m, kept)
		rec.end(kept, a)
		finishSave()
		if saveErr != nil {
			logWarning(a, fmt.Sprintf("container %q: %v", a.ID, saveErr))
		}
	}()
	mods, err := configEdits(m, c, caller)
	if err != nil {
		return err
	}
	if err := cfg.Apply(append(mods, hookEdits(c)...)...); err != nil {
		return err
	}
	if sig := sigs.held(); sig != 0 {
		return heldSignalError(sig)
	}
	// A create killed in the last moment of its save left its new file
	// under a temporary name; the lock makes any such file stale.
	if err := spec.RemoveStaleTemps(c.path); err != nil {
		return err
	}
	// The save's sync and the old file's release wait until the lower
	// runtime has started (see PendingSave), where the fd limit leaves
	// room for the fds that the save holds until then: ww does them
	// while the lower runtime runs, then waits for it.
	var save *spec.PendingSave
	if roomToSaveLater(caller, m.Len()) {
		save, err = cfg.SaveFileLater(c.path)
	} else {
		err = cfg.SaveFile(c.path)
	}
	if err != nil {
		return err
	}
	finishSave = func() {
		if err := save.Finish(); err != nil { // a second call does nothing
			saveErr = err
		}
	}
	forked, err := startLower(lower, append([]string{lower}, argv...), lowerEnv(caller.env(os.Environ()), lower), m, caller, sigs, finishSave)
	// What ww made stays with a container that was created, and with one
	// that ran in the foreground (a create= file holds what it wrote); a
	// create that failed, or never started, leaves nothing.
	kept = forked && (err == nil || (a.Command == runcargs.Run && !a.Detach))
	return err
}

// logError logs err to the caller's --log file in its --log-format, as
// the lower runtime does, so that the caller finds ww's error where it
// looks for the runtime's; without --log, to stderr. The logger is made
// for this one call. The file is opened with a plain system call: near
// the fd limit, an *os.File's poller could crash ww.
func logError(a *runcargs.Args, stderr io.Writer, err error) {
	log := logrus.New()
	log.Out = stderr
	if a.Log != "" {
		if fd, ferr := openAppend(a.Log); ferr == nil {
			defer closeRaw(fd)
			log.Out = rawAppender(fd)
		}
	}
	if a.LogFormat == "json" {
		log.Formatter = &logrus.JSONFormatter{}
	} else {
		log.Formatter = &logrus.TextFormatter{DisableColors: true, FullTimestamp: true}
	}
	log.Error(quoteShortLines(err.Error()))
}
