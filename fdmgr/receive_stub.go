//go:build !unix

package fdmgr

// Windows, Plan 9, js and wasip1 have no fds that a process inherits by
// number, so nothing can be received there. Receive still reads the
// environment: when it describes no fd, a program gets an empty Received
// (every lookup fails as for a name not passed), so that it can fall back
// to opening its own; when it describes some, Receive fails, and the error
// is errors.ErrUnsupported.

var errNoReceive = unsupportedError{"receiving fds"}

func checkOpen(fd int) error { return errNoReceive }

func closeFD(int) error { return errNoReceive }

func setCloexec(int) error { return errNoReceive }

// fdKind is what an fd refers to; here, never anything.
type fdKind struct{}

func (fdKind) String() string { return "fd" }

func statFD(int) (fdKind, error) { return fdKind{}, errNoReceive }

func (fdUse) fits(fdKind) bool { return false }
