//go:build !(linux && amd64)

package main

// catchForChild starts catching the forwarded signals for a child that
// ww forks and waits for, except those ww was started with ignored (see
// catchSignals).
func catchForChild() (hostSignals, error) { return catchSignals(false), nil }
