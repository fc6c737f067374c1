package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// initSignals passes ww's signals to a container's process. When that
// process is pid 1 of its own pid namespace, the kernel drops every
// signal for which it has no handler (SIGKILL and SIGSTOP aside): a
// SIGTERM that comes before the program has installed its handler would
// be lost, and ww would wait for ever. So a signal whose default action
// ends a process (all that ww forwards but SIGWINCH) is checked against
// the process's handlers as it is sent:
//
//   - caught, or blocked (then queued until it unblocks it): sent;
//   - ignored: sent, and dropped, as the program asked;
//   - default: ww does what the default action would do elsewhere: it
//     kills the process (and so the container), and exits 128+N.
//
// The check must see the handlers the kernel sees when it delivers, or a
// handler installed in between would be killed while it handles the
// signal. So when the handler is not there yet, ww stops the process
// (SIGSTOP reaches a pid namespace's init from outside), checks and
// sends while it cannot change its handlers, and continues it.
//
// The runtime's start may return before its init has replaced itself
// with the program (runc 1.1 does, now and then, under load): the
// runtime's handlers are still there, and a signal they catch would be
// dropped by the exec. So the first such signal waits until the process
// runs another executable than the runtime's init did, then is checked
// with the process stopped, handler or not: a stop takes effect only
// once the exec is done.
type initSignals struct {
	pid, pidfd int
	init       bool   // pid 1 of a pid namespace of its own
	winch      func() // handles SIGWINCH, if set
	// runtimeExe is the runtime's init, which the process ran after
	// create.
	runtimeExe exeID
	// execDone is set once the process was seen stopped, so past the
	// exec: from then on a handler that is there can be trusted.
	execDone bool
	// killed is the signal in whose place ww killed the process.
	killed syscall.Signal
}

func newInitSignals(pid, pidfd int, runtimeExe exeID, winch func()) *initSignals {
	s := &initSignals{pid: pid, pidfd: pidfd, runtimeExe: runtimeExe, winch: winch}
	st, err := s.status()
	s.init = err == nil && st.nsInit
	return s
}

// send is the forwarder's relay: it is called for one signal at a time.
func (s *initSignals) send(sig syscall.Signal) {
	switch {
	case sig == unix.SIGWINCH && s.winch != nil:
		s.winch()
	case s.killed != 0:
	case !s.init || sig == unix.SIGWINCH:
		s.signal(sig)
	default:
		if !s.execDone {
			s.waitExec()
		} else if st, err := s.status(); err != nil || st.takes(sig) {
			s.signal(sig)
			return
		}
		s.sendStopped(sig)
	}
}

// sendStopped sends sig to a process that had no handler for it a moment
// ago (or may still be in its exec), with the process stopped, so that
// it cannot install one between the check and the send.
func (s *initSignals) sendStopped(sig syscall.Signal) {
	if s.signal(unix.SIGSTOP) != nil {
		return // it has ended
	}
	s.execDone = s.waitStopped()
	st, err := s.status()
	switch {
	case err != nil:
		return // it has ended
	case st.takes(sig):
		s.signal(sig)
	case st.ignores(sig):
	default:
		s.killed = sig
		s.signal(unix.SIGKILL)
		return
	}
	s.signal(unix.SIGCONT)
}

func (s *initSignals) signal(sig syscall.Signal) error {
	return unix.PidfdSendSignal(s.pidfd, sig, nil, 0)
}

// exeID identifies the executable a process runs.
type exeID struct{ dev, ino uint64 }

func exeOf(pid int) (exeID, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/"+strconv.Itoa(pid)+"/exe", &st); err != nil {
		return exeID{}, err
	}
	return exeID{st.Dev, st.Ino}, nil
}

// waitExec waits, up to two seconds, until the process runs another
// executable than the runtime's init, or has ended. A SIGSTOP sent
// before could be lost: the kernel drops a stop that comes while a
// process's exec is replacing its threads.
func (s *initSignals) waitExec() {
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if id, err := exeOf(s.pid); err != nil || id != s.runtimeExe {
			return
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// cldStopped is waitid's si_code for a child that stopped.
const cldStopped = 5

// waitStopped waits, up to a second, until every thread of the process
// has stopped, and says whether it did. ww is its parent (the subreaper
// the runtime left it to), so waitid reports the stop; it leaves an exit
// for waitContainer to reap. A process that is not ww's child, or does
// not stop in time, is checked as it is.
func (s *initSignals) waitStopped() bool {
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PIDFD, s.pidfd, &info, unix.WSTOPPED|unix.WEXITED|unix.WNOWAIT|unix.WNOHANG, nil)
		if err != nil || info.Signo == int32(unix.SIGCHLD) {
			return err == nil && info.Code == cldStopped
		}
		time.Sleep(100 * time.Microsecond)
	}
	return false
}

// procStatus is what /proc/PID/status says of a process's signals: the
// masks have bit N-1 for signal N.
type procStatus struct {
	blocked, ignored, caught uint64
	nsInit                   bool // pid 1 in the innermost of its pid namespaces
}

func (p procStatus) takes(sig syscall.Signal) bool {
	return (p.caught|p.blocked)&(1<<(sig-1)) != 0
}

func (p procStatus) ignores(sig syscall.Signal) bool { return p.ignored&(1<<(sig-1)) != 0 }

// status reads the process's /proc/PID/status, and makes sure that it
// read that process: its pid cannot be reused while it has not been
// reaped, which the pidfd tells.
func (s *initSignals) status() (procStatus, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(s.pid) + "/status")
	if err != nil {
		return procStatus{}, err
	}
	if err := s.signal(0); err != nil {
		return procStatus{}, err
	}
	return parseProcStatus(b)
}

func parseProcStatus(b []byte) (procStatus, error) {
	var p procStatus
	masks := map[string]*uint64{"SigBlk": &p.blocked, "SigIgn": &p.ignored, "SigCgt": &p.caught}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		if m, ok := masks[key]; ok {
			n, err := strconv.ParseUint(value, 16, 64)
			if err != nil {
				return procStatus{}, fmt.Errorf("status %s: %q: %w", key, value, err)
			}
			*m = n
			delete(masks, key)
		}
		if key == "NSpid" {
			f := strings.Fields(value)
			p.nsInit = len(f) > 1 && f[len(f)-1] == "1"
		}
	}
	if len(masks) > 0 {
		return procStatus{}, fmt.Errorf("status: no signal masks")
	}
	return p, nil
}
