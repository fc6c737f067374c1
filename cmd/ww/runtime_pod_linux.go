package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/cmd/internal/runcargs"
	"github.com/ww-dev/ww/fdmgr"
	"github.com/ww-dev/ww/spec"
)

// A pod's listeners live as long as the pod. The listen: requests that a
// pod's sandbox (pause) container sees in its annotations are opened when
// the sandbox is created, in the pod's network namespace, and handed to
// the sandbox's process, which holds them for the pod's life without
// knowing (no WW_FD_* in its environment). Each time an app container of
// the pod is created, ww takes the same sockets from the sandbox's process
// (pidfd_getfd) for the requests the sandbox also carries, key and value
// alike, so that a restarted container gets the very socket its
// predecessor had: connections that come in between wait in its backlog.
//
// The feature never fails a container that would have started without
// it: a sandbox whose listeners cannot be opened or held starts with
// fewer or none, and a container whose listener cannot be taken gets a
// fresh one, as before; each says so once in the runtime's log.

// createSandbox creates a pod's sandbox container, holding the pod's
// listeners (c.pod, c as create read it) for it. The config is not
// edited: the sandbox gets its fds by --preserve-fds alone. Anything that
// keeps a listener from being held is logged and the sandbox is created
// without it.
func createSandbox(lower string, a *runcargs.Args, c *createRequest) error {
	if err := canTakeFDs(); err != nil {
		logWarning(a, fmt.Sprintf("pod sandbox %q holds no listeners: %v", a.ID, err))
		return passThrough(lower, a.Argv)
	}
	quietRuntime()
	if err := pinFDLimit(); err != nil {
		return err
	}
	unlock, err := lockBundle(a.Bundle, bundleLockWait)
	if err != nil {
		return err
	}
	defer unlock()
	// Read again: another create may have written it meanwhile.
	if c, err = c.reread(); err != nil {
		return err
	}
	var notes []string
	var grants []grant
	var netns string
	if len(c.pod) > 0 {
		grants, netns, notes, err = judgePod(a, c)
	}
	if err == nil && len(grants) == 0 {
		err = errors.New("nothing to hold")
	}
	if err != nil {
		if len(c.pod) > 0 {
			logWarning(a, podNotes(a.ID, append(notes, err.Error())))
		}
		unlock()
		return passThrough(lower, a.Argv)
	}
	return holdForPod(lower, a, c, grants, netns, notes)
}

// judgePod asks the node policy about each of the pod's listeners, as it
// would for a container of the pod. A refusal leaves that listener out:
// the container that asks for it is refused on its own.
func judgePod(a *runcargs.Args, c *createRequest) (grants []grant, netns string, notes []string, err error) {
	cfg, err := spec.ParseChecked(c.data)
	if err != nil {
		return nil, "", nil, fmt.Errorf("load config %q: %w", c.path, err)
	}
	g, err := newPolicyGate(os.Environ(), a.ID, c, cfg.Spec)
	if err != nil {
		return nil, "", nil, err
	}
	defer g.close()
	for _, r := range c.pod {
		src, err := g.decide(r)
		if err != nil {
			notes = append(notes, err.Error())
			continue
		}
		if !podHolds(src) {
			continue
		}
		grants = append(grants, grant{FDRequest: r, open: src})
	}
	if err := checkFDLimit(callerFDsOf(a), len(grants)); err != nil {
		return nil, "", notes, err
	}
	return grants, g.listenNetNS(), notes, nil
}

// podHolds reports whether a sandbox holds a listener of source s for
// its pod: a listener of the pod's network. A socket at a path of the
// node's file system would outlive the pod there: it stays the
// container's own, and a container does not look for it in the sandbox.
func podHolds(s fdmgr.Source) bool {
	return s.Kind == fdmgr.SourceListen && (s.Network != "unix" || strings.HasPrefix(s.Path, "@"))
}

// holdForPod opens the granted listeners, records where they land in the
// sandbox's process, and starts the lower runtime with them. A listener
// that cannot be opened is left out.
func holdForPod(lower string, a *runcargs.Args, c *createRequest, grants []grant, netns string, notes []string) error {
	caller := callerFDsOf(a)
	sigs, err := holdSignals()
	if err != nil {
		return err
	}
	var m *fdmgr.FDManager
	for {
		if m, err = planPod(grants, caller, netns); err != nil {
			return err
		}
		err = m.PrepareFDs()
		var oe *fdmgr.OpenError
		if !errors.As(err, &oe) {
			break
		}
		i, _ := strconv.Atoi(strings.TrimPrefix(oe.Name, "pod"))
		notes = append(notes, fmt.Sprintf("annotation %q: %q: %v", grants[i].Key, quoteValue(grants[i].Source), oe.Err))
		grants = append(grants[:i:i], grants[i+1:]...)
	}
	if err != nil {
		return err
	}
	kept := false
	defer func() {
		closeFDs(m, kept)
		if !kept {
			removePodRecord(a.Bundle)
		}
	}()
	rec, err := podRecordOf(m, grants)
	if err != nil {
		return err
	}
	if len(notes) > 0 {
		logWarning(a, podNotes(a.ID, notes))
	}
	if sig := sigs.held(); sig != 0 {
		return heldSignalError(sig)
	}
	if err := writePodRecord(a.Bundle, rec); err != nil {
		return err
	}
	argv, err := a.WithPreserveFDs(caller.count() + m.Len())
	if err != nil {
		return err
	}
	forked, err := startLower(lower, append([]string{lower}, argv...), lowerEnv(caller.env(os.Environ()), lower), m, caller, sigs, nil)
	kept = forked && (err == nil || (a.Command == runcargs.Run && !a.Detach))
	return err
}

// planPod plans the pod's listeners after the caller's fds, under names
// of ww's own (pod0, pod1, … by the index of the grant): two containers'
// requests may share a name, and the sandbox's process reads no names.
func planPod(grants []grant, caller callerFDs, netns string) (*fdmgr.FDManager, error) {
	m := fdmgr.NewFDManager()
	m.First = caller.first()
	m.ListenNetNS = netns
	for i, g := range grants {
		if err := m.AddSource("pod"+strconv.Itoa(i), g.open); err != nil {
			return nil, fmt.Errorf("annotation %q: %q: %w", g.Key, quoteValue(g.Source), err)
		}
	}
	return m, nil
}

// podRecordOf says where each opened listener lands in the sandbox's
// process, and which socket it is.
func podRecordOf(m *fdmgr.FDManager, grants []grant) (podRecord, error) {
	var rec podRecord
	for _, fd := range m.FDs() {
		i, _ := strconv.Atoi(strings.TrimPrefix(fd.Name, "pod"))
		var st unix.Stat_t
		if err := unix.Fstat(fd.Dup, &st); err != nil {
			return podRecord{}, fmt.Errorf("annotation %q: %w", grants[i].Key, err)
		}
		rec.Listeners = append(rec.Listeners, heldListener{Key: grants[i].Key, Source: grants[i].Source, FD: fd.Target, Inode: st.Ino})
	}
	return rec, nil
}

// canTakeFDs checks that ww may take fds from another process of the
// node, as it will from the sandbox: a kernel with pidfd_getfd (5.6 or
// later), and no ptrace restriction that stops root (Yama's
// ptrace_scope 3). A sandbox holds no listener that its containers could
// not take: they would find the port in use.
func canTakeFDs() error {
	pidfd, err := unix.PidfdOpen(os.Getppid(), 0)
	if err != nil {
		return fmt.Errorf("pidfd_open: %w", err)
	}
	defer unix.Close(pidfd)
	fd, err := unix.PidfdGetfd(pidfd, 0, 0)
	switch {
	case err == nil:
		unix.Close(fd)
	case errors.Is(err, unix.EBADF):
		// Permitted; the parent has no fd 0.
	default:
		return fmt.Errorf("pidfd_getfd: %w", err)
	}
	return nil
}

// podNotes is one log line for what a create could not do with the pod's
// listeners.
func podNotes(id string, notes []string) string {
	return fmt.Sprintf("pod sandbox %q: %s", id, strings.Join(notes, "; "))
}

// logWarning writes msg as a warning to the caller's --log file, in its
// --log-format, or to stderr without one: a line for whoever reads the
// runtime's log, never an error.
func logWarning(a *runcargs.Args, msg string) {
	log := logrus.New()
	log.Out = os.Stderr
	if a.Log != "" {
		fd, err := openAppend(a.Log)
		if err != nil {
			return
		}
		defer closeRaw(fd)
		log.Out = rawAppender(fd)
	}
	if a.LogFormat == "json" {
		log.Formatter = &logrus.JSONFormatter{}
	} else {
		log.Formatter = &logrus.TextFormatter{DisableColors: true, FullTimestamp: true}
	}
	log.Warn(quoteShortLines(msg))
}
