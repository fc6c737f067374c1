package main

import (
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/cmd/internal/runcargs"
	"github.com/ww-dev/ww/fdmgr"
	"github.com/ww-dev/ww/spec"
)

// takePodListeners takes, for an app container of a pod, the listeners
// that its sandbox holds for the granted requests, as its record says
// (see podRecord.find): each such grant gets the taken fd as held, and the
// rest are opened afresh, as before. netns is where the container's
// listeners belong ("" for the node's network). It never fails: what it
// cannot take is opened afresh, and said once in the log.
func takePodListeners(lower string, a *runcargs.Args, c *createRequest, grants []grant, netns string) {
	id := spec.SandboxID(c.head.Annotations)
	if id == "" || id == a.ID || spec.IsSandbox(c.head.Annotations) {
		return
	}
	var want []int
	for i, g := range grants {
		if g.open.Kind == fdmgr.SourceListen && g.open.Text == g.Source {
			want = append(want, i)
		}
	}
	if len(want) == 0 {
		return
	}
	st, err := stateOf(lower, a, id)
	if err != nil {
		// Gone, most likely; what it held is unknown.
		notes := make([]string, len(want))
		for j, i := range want {
			notes[j] = afresh(grants[i].Key, err)
		}
		logWarning(a, podNotes(id, notes))
		return
	}
	if notes := takeFrom(st, netns, grants, want); len(notes) > 0 {
		logWarning(a, podNotes(id, notes))
	}
}

// takeFrom takes the listeners of grants[want] that the sandbox whose
// state st is holds, and says what it could not take of those that the
// sandbox carries in its annotations, and why: a request that the
// container alone makes is its own, and not worth a word.
func takeFrom(st lowerState, netns string, grants []grant, want []int) (notes []string) {
	note := func(i int, why error) {
		if v, ok := st.Annotations[grants[i].Key]; ok && v == grants[i].Source {
			notes = append(notes, afresh(grants[i].Key, why))
		}
	}
	all := func(why error) []string {
		for _, i := range want {
			note(i, why)
		}
		return notes
	}
	if st.Pid <= 0 || st.Status == "stopped" {
		return all(fmt.Errorf("the sandbox is %s", st.Status))
	}
	rec, err := readPodRecord(st.Bundle)
	if err != nil {
		return all(err)
	}
	held := map[int]heldListener{}
	for _, i := range want {
		if h, ok := rec.find(grants[i].Key, grants[i].Source, fixedAddress(grants[i].open)); ok {
			held[i] = h
		} else {
			note(i, errors.New("the sandbox holds no listener for it"))
		}
	}
	if len(held) == 0 {
		return notes
	}
	pidfd, err := openSandbox(st.Pid, netns)
	if err != nil {
		for i := range held {
			notes = append(notes, afresh(grants[i].Key, err))
		}
		return notes
	}
	defer unix.Close(pidfd)
	for _, i := range want {
		h, ok := held[i]
		if !ok {
			continue
		}
		fd, err := takeHeld(pidfd, h, grants[i].open)
		if err != nil {
			// The sandbox's program may have moved it to another number.
			if n, ferr := sandboxFDOf(st.Pid, h.Inode); ferr == nil && n != h.FD {
				h.FD = n
				fd, err = takeHeld(pidfd, h, grants[i].open)
			}
		}
		if err != nil {
			notes = append(notes, afresh(grants[i].Key, err))
			continue
		}
		grants[i].held = fd
	}
	return notes
}

// afresh says that the listener of annotation key was opened afresh.
func afresh(key string, why error) string {
	return fmt.Sprintf("annotation %q: opened afresh, not taken from the sandbox: %v", key, why)
}

// find returns the listener held for key with source; or, for a source
// of a fixed address, one held for another key with the same source: the
// same address in the same network, which only one socket can have, and
// which the container could not bind while the sandbox holds it.
func (r podRecord) find(key, source string, fixed bool) (heldListener, bool) {
	for _, h := range r.Listeners {
		if h.Key == key && h.Source == source {
			return h, true
		}
	}
	for _, h := range r.Listeners {
		if fixed && h.Source == source {
			return h, true
		}
	}
	return heldListener{}, false
}

// fixedAddress reports whether s binds one address, not a port the
// kernel chooses.
func fixedAddress(s fdmgr.Source) bool {
	return s.Port != 0 || (s.Network == "unix" && s.Path != "")
}

// openSandbox opens a pidfd for the sandbox's process, and checks that it
// lives in netns ("" for ww's own network), the container's: a container
// takes listeners from its own pod's sandbox only. The check is made
// through the pid, and the pidfd proves afterwards that the pid was still
// that process's.
func openSandbox(pid int, netns string) (int, error) {
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return -1, fmt.Errorf("pidfd_open of the sandbox's process %d: %w", pid, err)
	}
	if netns == "" {
		netns = "/proc/self/ns/net"
	}
	if !sameFile("/proc/"+strconv.Itoa(pid)+"/ns/net", netns) {
		unix.Close(pidfd)
		return -1, fmt.Errorf("the sandbox's process %d is not in the container's network namespace %s", pid, netns)
	}
	if err := unix.PidfdSendSignal(pidfd, 0, nil, 0); err != nil {
		unix.Close(pidfd)
		return -1, fmt.Errorf("the sandbox's process %d: %w", pid, err)
	}
	return pidfd, nil
}

// takeHeld takes the listener h from the sandbox's process and checks
// that it is the socket the record names, and one that s, the request's
// source, would have opened. It returns it as a blocking fd, numbered
// FirstFD or more, close-on-exec.
func takeHeld(pidfd int, h heldListener, s fdmgr.Source) (fd int, err error) {
	if fd, err = unix.PidfdGetfd(pidfd, h.FD, 0); err != nil {
		return -1, fmt.Errorf("pidfd_getfd of the sandbox's fd %d: %w", h.FD, err)
	}
	defer func() {
		if err != nil {
			unix.Close(fd)
		}
	}()
	if err = checkHeld(fd, h, s); err != nil {
		return fd, fmt.Errorf("the sandbox's fd %d: %w", h.FD, err)
	}
	// The socket's file status flags are shared with every holder: a Go
	// program of an earlier run set O_NONBLOCK, which a new program
	// expects no more than on a fresh socket.
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err == nil && flags&unix.O_NONBLOCK != 0 {
		_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFL, flags&^unix.O_NONBLOCK)
	}
	if err != nil {
		return fd, fmt.Errorf("clear O_NONBLOCK: %w", err)
	}
	if fd < fdmgr.FirstFD {
		moved, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, fdmgr.FirstFD)
		unix.Close(fd)
		return moved, err
	}
	return fd, nil
}
