package fdmgr

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Request is one named fd asked for: NAME=SOURCE.
type Request struct {
	Name   string
	Source Source
}

// FD is a request that has been prepared: its duplicate is open in this
// process with close-on-exec set, and Target is where it lands in the
// child. The Request is the manager's own, shared rather than copied: a
// run that hands over a thousand fds keeps a thousand small FDs.
type FD struct {
	*Request
	// Target is the fd number the child sees.
	Target int
	// Dup is this process's copy, owned by the FDManager; with Borrow,
	// for an fd this process already held, the source fd itself.
	Dup int

	borrowed bool
	// inherited is a borrowed fd open without close-on-exec, as a
	// program this process execs inherits it.
	inherited bool
	created   *made // a file opening it created, removed if the run is refused
}

// FDManager collects named fd requests, opens them, and tells where each
// lands in the child. Its steps are separate so that a caller can inspect
// (or refuse) the requests before anything is opened: ParseFDFlag or Add,
// then PrepareFDs, then GenerateEnvVars and FDs, then Close.
type FDManager struct {
	// First is the fd number the first named fd lands at; zero means
	// FirstFD (3). A runtime wrapper whose caller already passes fds at
	// 3, 4, … sets it past them.
	First int

	// Borrow, set before PrepareFDs, hands over fds this process already
	// holds as they are instead of duplicating them here: FD.Dup is then
	// the source fd, which Close leaves open. It is for a caller that
	// starts the child with fork and places the fds there (as
	// syscall.ForkExec does, duplicating them in the child), and it saves
	// a duplicate per fd in this process, where growing the fd table of
	// a multi-threaded program waits for an RCU grace period. A source
	// too near the fd limit for the fork to place the fds (see
	// borrowBelow) is still duplicated, to a low number.
	Borrow bool

	// ListenNetNS, when set before PrepareFDs, is the path of a network
	// namespace (such as /proc/PID/ns/net) in which listen: sources on IP
	// networks and on abstract unix addresses are bound, instead of this
	// process's own: a container's listeners belong in its network. It
	// needs CAP_SYS_ADMIN.
	ListenNetNS string

	requests []Request
	envs     []string // EnvName of each request's name
	// inheritable, filled by CheckFDs, tells for each request whose
	// source is an fd whether it is open without close-on-exec.
	inheritable []bool
	names       map[string]string // EnvName → name, to refuse duplicates
	fds         []FD
	reserved    []int // placeholders at target numbers, see ReserveTargets
	// held maps the index of a request added by AddHeld to its fd.
	held map[int]int
}

// NewFDManager returns an empty FDManager.
func NewFDManager() *FDManager {
	return &FDManager{names: make(map[string]string)}
}

// ParseFDFlags is ParseFDFlag for each value in turn; it stops at the
// first error. Knowing how many come, it makes room for all at once.
func (m *FDManager) ParseFDFlags(values ...string) error {
	m.requests = slices.Grow(m.requests, len(values))
	m.envs = slices.Grow(m.envs, len(values))
	if len(m.names) == 0 {
		m.names = make(map[string]string, len(values))
	}
	for _, v := range values {
		if err := m.ParseFDFlag(v); err != nil {
			return err
		}
	}
	return nil
}

// ParseFDFlag parses one NAME=SOURCE value, as given to --with-fd, and adds
// it. The error quotes the value and says what is wrong with it.
func (m *FDManager) ParseFDFlag(value string) error {
	name, source, ok := strings.Cut(value, "=")
	if !ok {
		return fmt.Errorf("%q: want NAME=SOURCE, there is no \"=\"", value)
	}
	if err := m.Add(name, source); err != nil {
		return fmt.Errorf("%q: %w", value, err)
	}
	return nil
}

// Add validates a named request and adds it. Two names that give the same
// variable (db and DB, a-b and a_b) are the same name.
func (m *FDManager) Add(name, source string) error {
	if err := m.canAdd(name); err != nil {
		return err
	}
	src, err := ParseSource(source)
	if err != nil {
		return err
	}
	return m.add(name, src)
}

// canAdd checks, before a request's source, that it may be added: the
// fds are not prepared yet, and its name is valid.
func (m *FDManager) canAdd(name string) error {
	if m.fds != nil {
		return errors.New("fds are already prepared")
	}
	return ValidateName(name)
}

// add adds a request that has been checked, unless its name is taken.
func (m *FDManager) add(name string, src Source) error {
	if m.names == nil {
		m.names = make(map[string]string)
	}
	env := EnvName(name)
	if prev, ok := m.names[env]; ok {
		if prev == name {
			return fmt.Errorf("name %q is given twice", name)
		}
		return fmt.Errorf("name %q is the same as %q (both are %s)", name, prev, env)
	}
	m.names[env] = name
	m.requests = append(m.requests, Request{Name: name, Source: src})
	m.envs = append(m.envs, env)
	return nil
}

// CheckFDs checks, without opening anything, that every fd this process
// is asked to hand over is open, so that a caller can refuse bad input
// before it does anything else. PrepareFDs checks again.
func (m *FDManager) CheckFDs() error {
	// What the check learns is kept for PrepareFDs, which hands over a
	// thousand fds with one system call each, not two.
	m.inheritable = make([]bool, len(m.requests))
	for i, r := range m.requests {
		if r.Source.IsFD() {
			inherit, err := inheritable(r.Source.FD)
			if err != nil {
				m.inheritable = nil
				return &OpenError{Request: r, Err: err}
			}
			m.inheritable[i] = inherit
		}
	}
	return nil
}

// Requests returns the requests added so far, in the order they will land
// in the child.
func (m *FDManager) Requests() []Request {
	reqs := make([]Request, len(m.requests))
	for i, k := range order(m.requests, m.envs) {
		reqs[i] = m.requests[k]
	}
	return reqs
}

// Len returns the number of requests.
func (m *FDManager) Len() int { return len(m.requests) }

// PrepareFDs opens every request, in landing order, and assigns targets
// First, First+1, … . Each source is duplicated with close-on-exec set; a
// source fd itself is never closed or changed. On error nothing stays
// open and the error names the request.
func (m *FDManager) PrepareFDs() error {
	if m.fds != nil {
		return errors.New("fds are already prepared")
	}
	first := m.first()
	fds := make([]FD, 0, len(m.requests))
	checked := len(m.inheritable) == len(m.requests)
	borrow := 0 // sources below this fd number are borrowed
	if m.Borrow {
		borrow = borrowBelow(len(m.requests))
	}
	var netns *netnsThread
	defer func() { netns.stop() }()
	for i, k := range order(m.requests, m.envs) {
		r := &m.requests[k]
		fd := FD{Request: r, Target: first + i}
		var err error
		if r.Source.IsFD() && r.Source.FD < borrow {
			fd.Dup, fd.borrowed = r.Source.FD, true
			if checked {
				fd.inherited = m.inheritable[k]
			} else {
				fd.inherited, err = inheritable(r.Source.FD)
			}
		} else if held, ok := m.held[k]; ok {
			fd.Dup = held
		} else if m.ListenNetNS != "" && bindsInNetNS(r.Source) {
			if netns == nil {
				netns, err = enterNetNS(m.ListenNetNS)
			}
			if err == nil {
				netns.run(func() { fd.Dup, fd.created, err = openTracked(r.Source) })
			}
		} else {
			fd.Dup, fd.created, err = openTracked(r.Source)
		}
		if err != nil {
			closeAll(fds)
			m.closeHeld(fds)
			return &OpenError{Request: *r, Err: err}
		}
		fds = append(fds, fd)
	}
	m.fds = fds
	m.held = nil // owned by fds now
	return nil
}

func (m *FDManager) first() int {
	if m.First > 0 {
		return m.First
	}
	return FirstFD
}

// closeAll undoes a refused PrepareFDs: it closes what was opened and
// removes the files that opening created, so nothing is left behind.
func closeAll(fds []FD) {
	for _, fd := range fds {
		if !fd.borrowed {
			closeFD(fd.Dup)
		}
		fd.created.remove()
	}
}

// OpenError is PrepareFDs' error: the request that could not be opened,
// and why.
type OpenError struct {
	Request
	Err error
}

// Error quotes the request and says why it could not be opened.
func (e *OpenError) Error() string { return fmt.Sprintf("%q: %v", e.Name+"="+e.Source.Text, e.Err) }

// Unwrap returns the reason.
func (e *OpenError) Unwrap() error { return e.Err }

// FDs returns the prepared fds in target order. The manager keeps
// ownership of every Dup.
func (m *FDManager) FDs() []FD {
	return append([]FD(nil), m.fds...)
}

// GenerateEnvVars returns WW_FD_<NAME>=<target> for each prepared fd, in
// target order.
func (m *FDManager) GenerateEnvVars() []string {
	// Every variable is a piece of one string: a thousand fds cost three
	// allocations, not two thousand.
	size := 0
	for _, fd := range m.fds {
		size += len(EnvPrefix) + len(fd.Name) + len("=") + 20
	}
	var b strings.Builder
	b.Grow(size)
	ends := make([]int, len(m.fds))
	for i, fd := range m.fds {
		writeEnvName(&b, fd.Name)
		b.WriteByte('=')
		var digits [20]byte
		b.Write(strconv.AppendInt(digits[:0], int64(fd.Target), 10))
		ends[i] = b.Len()
	}
	all := b.String()
	env := make([]string, len(m.fds))
	start := 0
	for i, end := range ends {
		env[i], start = all[start:end], end
	}
	return env
}

// Close closes every duplicate the manager holds. It may be called more
// than once.
func (m *FDManager) Close() error {
	var errs []error
	for _, fd := range m.fds {
		if fd.borrowed {
			continue
		}
		if err := closeFD(fd.Dup); err != nil {
			errs = append(errs, fmt.Errorf("close %s (fd %d): %w", fd.Name, fd.Dup, err))
		}
	}
	m.fds = m.fds[:0]
	m.closeHeld(nil)
	m.closeReserved()
	return errors.Join(errs...)
}
