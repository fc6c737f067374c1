// Package atinit calls fastpath.Try as it is initialised: importing it
// (for its side effect only) makes a program that is ww runtime replace
// itself with the lower runtime on a call it passes through, before the
// packages that only the rest of the program uses are initialised. It
// imports nothing but fastpath, whose own imports are os, path, syscall
// and hook/recname, none initialising anything, so that Go initialises it
// right after os (see package fastpath).
package atinit

import "github.com/ww-dev/ww/cmd/internal/fastpath"

func init() { fastpath.Try() }
