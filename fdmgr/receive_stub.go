//go:build !unix

package fdmgr

// Receiving rests on the Unix fd calls (fcntl, fstat, getsockopt), which
// Windows, Plan 9, js and wasip1 lack, so nothing is received there.
// Receive still reads the environment: when it describes no fd, a program
// gets an empty Received (every lookup fails as for a name not passed),
// so that it can fall back to opening its own; when it describes some,
// Receive fails, and the error is errors.ErrUnsupported.

var errNoReceive = unsupportedError{"receiving fds"}

func checkOpen(int) error { return errNoReceive }

func closeFD(int) error { return errNoReceive }

func setCloexec(int) error { return errNoReceive }

// fdKind is what an fd refers to; here, never anything.
type fdKind struct{}

func (fdKind) String() string { return "fd" }

func statFD(int) (fdKind, error) { return fdKind{}, errNoReceive }

func (fdUse) fits(fdKind) bool { return false }
