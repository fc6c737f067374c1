package main

import (
	"errors"
	"fmt"
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
func lockBundle(bundle string, wait time.Duration) (unlock func(), err error) {
	fd, err := unix.Open(bundle, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("lock bundle %q: %w", bundle, err)
	}
	deadline := time.Now().Add(wait)
	for {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { unix.Close(fd) }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			unix.Close(fd)
			return nil, fmt.Errorf("lock bundle %q: %w", bundle, err)
		}
		if time.Now().After(deadline) {
			unix.Close(fd)
			return nil, fmt.Errorf("bundle %q: another create or run of it holds the bundle (a foreground run holds it until its container exits); gave up after %v", bundle, wait)
		}
		// A sleep without a Go timer: see quietRuntime.
		unix.Nanosleep(&unix.Timespec{Nsec: 5e6}, nil)
	}
}
