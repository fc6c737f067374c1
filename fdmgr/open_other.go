//go:build !linux

package fdmgr

// The parent's side opens sources with Linux system calls, duplicates and
// places fds the way Linux's fork and exec allow, and reads /proc: it runs
// on Linux only. Elsewhere requests are still parsed, ordered and named,
// but nothing is opened, duplicated or handed over.

import (
	"errors"
	"math"
	"runtime"
)

// unsupportedError says that this system cannot do what was asked; it
// is errors.ErrUnsupported.
type unsupportedError struct{ what string }

func (e unsupportedError) Error() string {
	return e.what + " is not supported on " + runtime.GOOS
}

func (unsupportedError) Is(target error) bool { return target == errors.ErrUnsupported }

var errNoHandOver = unsupportedError{"handing fds to a program"}

// kindImpl is what a kind's own file provides: here, only a parser (see
// open_linux.go).
type kindImpl interface {
	// parse parses rest, what follows the prefix and its colon in text;
	// the caller sets Kind and Text.
	parse(text, rest string) (Source, error)
}

// made is a file that opening a source created; nothing is opened here.
type made struct{}

func (*made) remove() {}

func openTracked(Source) (int, *made, error) { return -1, nil, errNoHandOver }

func inheritable(int) (bool, error) { return false, errNoHandOver }

func borrowBelow(int) int { return math.MaxInt32 }

func (m *FDManager) closeReserved() { m.reserved = nil }

// netnsThread would open sockets in another network namespace, which
// only Linux has.
type netnsThread struct{}

func bindsInNetNS(Source) bool { return false }

func enterNetNS(string) (*netnsThread, error) { return nil, errNoHandOver }

func (*netnsThread) run(f func()) { f() }

func (*netnsThread) stop() {}
