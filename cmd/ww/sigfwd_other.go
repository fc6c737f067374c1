//go:build !(linux && amd64)

package main

import (
	"os"
	"os/signal"
)

// catchForChild starts catching the forwarded signals for a child that
// ww forks and waits for, except those ww was started with ignored (see
// catchSignals).
func catchForChild() (hostSignals, error) { return catchSignals(false), nil }

// notifyGuarded is signal.Notify: the guard of linux/amd64 (see
// sigguard_linux_amd64.go) needs ww's own handler.
func notifyGuarded(c chan<- os.Signal, sigs []os.Signal) { signal.Notify(c, sigs...) }
