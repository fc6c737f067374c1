package main

import (
	"bytes"
	"errors"
	"strconv"

	"golang.org/x/sys/unix"
)

// waitRuntimeHandlers waits until no thread of ww is still inside a
// signal handler entered before sigForward was installed. A signal that
// came before it met the Go runtime's handler, which, with nobody
// notified, ends ww: it raises the signal again, then sets the default
// action and raises it once more. Should that handler's thread stall
// while ww installs sigForward, holds and makes its files, the default
// action it sets replaces sigForward (or its first raise meets
// sigForward, which drops it as sent by ww itself) and its last raise
// ends ww with the files made: both were seen, about once in 25,000
// runs of TestRunInterruptedStartRemovesMadeFiles on a loaded machine.
// hold calls this first for ww run, so that such a handler ends ww
// before anything is made; the runtime path's records make that death
// one that a later delete cleans up after, and it does not wait.
//
// The runtime's handler runs with every signal blocked, and no thread
// of the runtime blocks SIGURG (its preemption signal) for long
// otherwise, so a
// SIGURG sent to each thread stays pending exactly while that thread is
// in such a handler (or in the kernel on its way in); a dying handler
// never returns, and ww ends meanwhile. Where SIGURG is blocked anyway
// (GODEBUG=asyncpreemptoff=1 and ww started with it blocked) or
// /proc/self/task cannot be read, there is nothing to wait on. The
// wait is given up after a second or so, as a start that hangs is worse
// than the race.
//
// It costs a run that makes files about 0.1 ms of CPU time (65-170 µs
// a call with 4-6 threads, measured on 2026-12-01 on the loaded 2-CPU
// virtual machine of sigfwd_linux_amd64.go), mostly the woken threads.
func waitRuntimeHandlers() {
	var blocked unix.Sigset_t
	if unix.PthreadSigmask(unix.SIG_BLOCK, nil, &blocked) != nil || blocked.Val[0]&(1<<(unix.SIGURG-1)) != 0 {
		return
	}
	tids := threadIDs()
	pid, self := unix.Getpid(), unix.Gettid()
	sent := tids[:0]
	for _, tid := range tids {
		if tid != self && unix.Tgkill(pid, tid, unix.SIGURG) == nil {
			sent = append(sent, tid)
		}
	}
	// A woken thread usually takes its SIGURG within a few yields of
	// this one; then the wait sleeps, and gives up after a second or so.
	for try := 0; len(sent) > 0 && try < 100+20000; try++ {
		left := sent[:0]
		for _, tid := range sent {
			if urgPending(tid) {
				left = append(left, tid)
			}
		}
		sent = left
		switch {
		case len(sent) == 0:
		case try < 100:
			unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
		default:
			unix.Nanosleep(&unix.Timespec{Nsec: 50_000}, nil) // no timer: see quietRuntime
		}
	}
}

// threadIDs lists /proc/self/task with plain system calls.
func threadIDs() []int {
	fd, err := unix.Open("/proc/self/task", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer unix.Close(fd)
	var tids []int
	var buf [4096]byte
	for {
		n, err := unix.Getdents(fd, buf[:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || n <= 0 {
			return tids
		}
		var names []string
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
		for _, name := range names {
			if tid, err := strconv.Atoi(name); err == nil {
				tids = append(tids, tid)
			}
		}
	}
}

// urgPending tells whether SIGURG is pending on thread tid, as its
// /proc status shows; a thread gone has nothing pending.
func urgPending(tid int) bool {
	fd, err := unix.Open("/proc/self/task/"+strconv.Itoa(tid)+"/status", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var buf [4096]byte
	n := 0
	for n < len(buf) {
		m, err := unix.Read(fd, buf[n:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || m <= 0 {
			break
		}
		n += m
	}
	const field = "\nSigPnd:\t"
	i := bytes.Index(buf[:n], []byte(field))
	if i < 0 || i+len(field)+16 > n {
		return false
	}
	pending, err := strconv.ParseUint(string(buf[i+len(field):i+len(field)+16]), 16, 64)
	return err == nil && pending&(1<<(unix.SIGURG-1)) != 0
}
