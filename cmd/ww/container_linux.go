package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/console"
	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/fdmgr"
)

// runContainer creates and starts the container, waits for its process,
// and deletes it whatever happens; started says whether its process ran.
// ww becomes a child subreaper so that the container's process, whose
// parent (the runtime) exits after create, is ww's to wait for.
//
// A signal held before create ends the run there; one that comes while
// the runtime creates waits for create to return, then ends the run
// after the container is deleted; from start on, it is the container's.
func runContainer(rt lowerRuntime, id, bundle string, tty bool, fds []fdmgr.FD, sigs *forwarder) (started bool, err error) {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return false, fmt.Errorf("become subreaper: %w", err)
	}
	opts := createOpts{bundle: bundle, pidFile: filepath.Join(bundle, "init.pid")}
	for _, fd := range fds {
		opts.files = append(opts.files, uintptr(fd.Dup))
	}
	var ptys <-chan ptyResult
	if tty {
		sock, err := newConsoleSocket(bundle)
		if err != nil {
			return false, err
		}
		defer sock.Close()
		opts.consoleSocket, ptys = sock.path, receiveConsole(sock)
	}
	if sig := sigs.held(); sig != 0 {
		return false, signalExit(sig)
	}
	if err := rt.create(id, opts); err != nil {
		// A failed create cleans up after itself; the id may belong to
		// another container, which is not ww's to delete.
		return false, err
	}
	defer rt.delete(id)
	// The terminal gets its size, and ww its pid, before the process
	// starts.
	var term *terminal
	if tty {
		r := <-ptys
		if r.err != nil {
			return false, r.err
		}
		term = attachTerminal(r.pty)
		defer term.close()
	}
	pid, err := readPIDFile(opts.pidFile)
	if err != nil {
		return false, err
	}
	// What the process runs until the program's exec (see initSignals).
	runtimeExe, _ := exeOf(pid)
	if sig := sigs.starting(); sig != 0 {
		return false, signalExit(sig)
	}
	if err := rt.start(id); err != nil {
		return false, err
	}
	return true, waitContainer(pid, runtimeExe, sigs, term)
}

type ptyResult struct {
	pty console.Console
	err error
}

// receiveConsole takes the terminal that the runtime sends while it
// creates the container.
func receiveConsole(sock *consoleSocket) <-chan ptyResult {
	ptys := make(chan ptyResult, 1)
	go func() {
		pty, err := sock.receive(30 * time.Second)
		ptys <- ptyResult{pty, err}
	}()
	return ptys
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
			return signalExit(relay.killed)
		}
		return exitStatus(ws)
	}
}
