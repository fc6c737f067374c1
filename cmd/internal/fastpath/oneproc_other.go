//go:build !linux || !amd64 || race

package fastpath

// AddedOneProc reports whether ww's entry point added OneProcEnv to the
// environment: never in a build without the entry point.
func AddedOneProc() bool { return false }
