package main

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// bundleLockWait is how long a create waits for another create or run of
// the same bundle to let go of it. A foreground run holds the bundle
// until its container exits.
const bundleLockWait = 10 * time.Second

// lockBundle takes the bundle's lock: an exclusive flock(2) on its folder,
// held until unlock (and, as a flock, given up by the kernel if ww dies).
// The folder, unlike config.json, is not replaced when the config is
// written.
//
// A waiting create blocks in flock on a thread of its own, so that the
// kernel wakes it the moment the lock is free: polling would leave it
// behind a holder that takes the lock again at once. Giving up leaves
// that thread blocked; the caller exits, which ends it.
func lockBundle(bundle string, wait time.Duration) (unlock func(), err error) {
	fd, err := unix.Open(bundle, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("lock bundle %q: %w", bundle, err)
	}
	err = unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		err = waitFlock(fd, wait)
	}
	switch {
	case err == nil:
		// Once only: a second close could hit an fd opened since.
		return sync.OnceFunc(func() { unix.Close(fd) }), nil
	case errors.Is(err, errLockWait):
		// The fd stays open: the waiting thread still uses it.
		return nil, fmt.Errorf("bundle %q: another create or run of it holds the bundle (a foreground run holds it until its container exits); gave up after %v", bundle, wait)
	}
	unix.Close(fd)
	return nil, fmt.Errorf("lock bundle %q: %w", bundle, err)
}

// tryLockBundle takes the bundle's lock if no one holds it, without
// waiting; ok is false when someone does, or the folder cannot be opened.
func tryLockBundle(bundle string) (unlock func(), ok bool) {
	fd, err := unix.Open(bundle, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, false
	}
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		unix.Close(fd)
		return nil, false
	}
	return sync.OnceFunc(func() { unix.Close(fd) }), true
}

// errLockWait is waitFlock's error when the wait is over.
var errLockWait = errors.New("lock wait over")

// waitFlock waits for the lock on fd for at most wait, without a Go timer
// (see quietRuntime): the main thread sleeps in short steps while another
// blocks in flock.
func waitFlock(fd int, wait time.Duration) error {
	got := make(chan error, 1)
	go func() {
		for {
			err := unix.Flock(fd, unix.LOCK_EX)
			if !errors.Is(err, unix.EINTR) {
				got <- err
				return
			}
		}
	}()
	for step := time.Duration(0); step < wait; step += time.Millisecond {
		select {
		case err := <-got:
			return err
		default:
			unix.Nanosleep(&unix.Timespec{Nsec: int64(time.Millisecond)}, nil)
		}
	}
	return errLockWait
}
