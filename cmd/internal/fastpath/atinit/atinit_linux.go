// Package atinit calls fastpath.Try as it is initialised: importing it
// (for its side effect only) makes a program that is ww runtime replace
// itself with the lower runtime on a call it passes through, before the
// packages that only the rest of the program uses are initialised. It
// imports nothing but os and fastpath, whose own imports are os, path,
// syscall and hook/recname, none initialising anything, so that Go
// initialises it right after os (see package fastpath).
//
// First it takes out of the environment what ww's entry point added for
// the Go runtime alone (fastpath.OneProcEnv): os.Environ is then the
// environment ww was started with, for every program ww starts.
package atinit

import (
	"os"

	"github.com/ww-dev/ww/cmd/internal/fastpath"
)

func init() {
	if fastpath.AddedOneProc() {
		os.Unsetenv("GOMAXPROCS")
	}
	fastpath.Try()
}
