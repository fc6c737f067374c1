package fdmgr

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Received holds the named fds a program was started with, as found by
// Receive. Lookups take the name as it was given to ww ("cache-x"); any
// spelling with the same EnvName finds the same fd.
//
// Each fd is handed out once: the first File, Listener, PacketConn or Conn
// for a name takes it, and any later call for that name is an error, so no
// two objects ever own one fd. Listener, PacketConn and Conn return an
// object on a new fd (the net package duplicates it) and close the one
// received. A call that fails a kind check leaves the fd in place for
// another accessor. Close closes every fd not handed out. A Received is
// safe for use by several goroutines.
type Received struct {
	mu      sync.Mutex
	fds     []*receivedFD // in fd order
	systemd bool          // the LISTEN_* variables were for this process
}

type fdState int

const (
	fdHeld fdState = iota
	fdTaken
	fdClosed
)

type receivedFD struct {
	fd     int
	name   string // "" for an fd systemd passed without a name
	key    string // EnvName(name)
	origin string // the variable that brought the fd, for errors
	state  fdState
}

// Receive finds the named fds described by environ, in os.Environ form:
// every WW_FD_<NAME>=<fd>, and the fds of the systemd socket-activation
// protocol (LISTEN_FDS from fd 3 on, named by LISTEN_FDNAMES) when
// LISTEN_PID is this process's id; as with sd_listen_fds, they are ignored
// otherwise. An fd passed both ways must carry the same name in both.
// Fds systemd passes without a name, or under a name it gives to several
// fds (a socket unit with several sockets), are closed by Close but cannot
// be looked up: no name finds one of them alone. (sd_listen_fds_with_names
// calls unnamed fds "unknown"; that name is not special here.)
//
// Every value is checked and every fd must be open before anything is
// changed; then close-on-exec is set on each fd, so that none leaks into a
// program this one starts. The environment itself is left alone.
//
// On a system where no fd can be received (Windows, Plan 9, js, wasip1),
// an environment that describes an fd is an error that is
// errors.ErrUnsupported; one that describes none gives an empty Received.
func Receive(environ []string) (*Received, error) {
	r, err := parseReceived(environ, os.Getpid())
	if err != nil {
		return nil, err
	}
	for _, f := range r.fds {
		if err := checkOpen(f.fd); err != nil {
			return nil, fmt.Errorf("%s: %w", f.origin, err)
		}
	}
	for _, f := range r.fds {
		if err := setCloexec(f.fd); err != nil {
			return nil, fmt.Errorf("%s: %w", f.origin, err)
		}
	}
	return r, nil
}

// ReceiveEnv is Receive on os.Environ(). When unset is true it then removes
// every WW_FD_* and LISTEN_* variable from the process environment, even if
// Receive failed, as sd_listen_fds(1) does: the fds are not meant for any
// program this one starts. This is the only function in the package that
// changes the process environment.
func ReceiveEnv(unset bool) (*Received, error) {
	r, err := Receive(os.Environ())
	if !unset {
		return r, err
	}
	if uerr := unsetReceiveEnv(); uerr != nil {
		if r != nil {
			uerr = errors.Join(uerr, r.Close())
		}
		return nil, errors.Join(err, uerr)
	}
	return r, err
}

func unsetReceiveEnv() error {
	for _, kv := range os.Environ() {
		key, _, _ := strings.Cut(kv, "=")
		// isListenVar covers LISTEN_PIDFDID, which Receive does not check
		// but which must not reach the program's own children either.
		if IsEnvVar(kv) || isListenVar(kv) {
			if err := os.Unsetenv(key); err != nil {
				return fmt.Errorf("unset %s: %w", key, err)
			}
		}
	}
	return nil
}

// Names returns the name of every fd received, in fd order, including fds
// already handed out or closed. A name from LISTEN_FDNAMES is returned as
// written; one known only from WW_FD_<NAME> is NAME in lower case ("cache_x"
// for WW_FD_CACHE_X), which looks up the same fd.
func (r *Received) Names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make([]string, 0, len(r.fds))
	for _, f := range r.fds {
		if f.name != "" {
			names = append(names, f.name)
		}
	}
	return names
}

// FD returns the fd number name was received at. After the fd has been
// handed out to Listener, PacketConn or Conn, or closed, the number is only
// a record: it may since have been reused for another file.
func (r *Received) FD(name string) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, err := r.lookup(name)
	if err != nil {
		return -1, err
	}
	return f.fd, nil
}

// File hands out the fd called name, whatever its kind, as an *os.File
// that owns it from then on.
func (r *Received) File(name string) (*os.File, error) {
	return take(r, name, useAny, func(f *os.File) (*os.File, error) { return f, nil })
}

// Listener hands out the fd called name, which must be a listening stream
// socket (tcp, unix stream or seqpacket), as a net.Listener.
func (r *Received) Listener(name string) (net.Listener, error) {
	return take(r, name, useListener, viaDup(net.FileListener))
}

// PacketConn hands out the fd called name, which must be a datagram socket
// (udp or unix datagram), as a net.PacketConn.
func (r *Received) PacketConn(name string) (net.PacketConn, error) {
	return take(r, name, usePacket, viaDup(net.FilePacketConn))
}

// Conn hands out the fd called name, which must be a stream socket that is
// not listening (a connected tcp or unix socket), as a net.Conn.
func (r *Received) Conn(name string) (net.Conn, error) {
	return take(r, name, useConn, viaDup(net.FileConn))
}

// Close closes every fd that has not been handed out. Fds handed out
// belong to their objects and stay open. Close may be called more than
// once; lookups still work afterwards, but hand nothing out.
func (r *Received) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for _, f := range r.fds {
		if f.state != fdHeld {
			continue
		}
		f.state = fdClosed
		if err := closeFD(f.fd); err != nil {
			errs = append(errs, fmt.Errorf("close fd %d (%s): %w", f.fd, f.origin, err))
		}
	}
	return errors.Join(errs...)
}

// viaDup wraps a net.File* function, which works on its own duplicate of
// the fd: the fd received is closed either way. An error from that close
// is dropped, as it cannot be acted on and the duplicate is fine.
func viaDup[T any](fromFile func(*os.File) (T, error)) func(*os.File) (T, error) {
	return func(f *os.File) (T, error) {
		v, err := fromFile(f)
		f.Close()
		return v, err
	}
}

// take checks the kind of the fd called name against use and, if it fits,
// marks it handed out and gives it to wrap as an *os.File. Whatever wrap
// returns, the fd no longer belongs to r.
func take[T any](r *Received, name string, use fdUse, wrap func(*os.File) (T, error)) (T, error) {
	var zero T
	r.mu.Lock()
	defer r.mu.Unlock()
	f, err := r.lookup(name)
	if err != nil {
		return zero, err
	}
	switch f.state {
	case fdTaken:
		return zero, fmt.Errorf("fd %q (%d) was already handed out", name, f.fd)
	case fdClosed:
		return zero, fmt.Errorf("fd %q (%d) was closed by Close", name, f.fd)
	}
	if use != useAny {
		kind, err := statFD(f.fd)
		if err != nil {
			return zero, fmt.Errorf("fd %q (%d): %w", name, f.fd, err)
		}
		if !use.fits(kind) {
			return zero, fmt.Errorf("fd %q (%d) is not %s: it is a %s", name, f.fd, use, kind)
		}
	}
	f.state = fdTaken
	v, err := wrap(os.NewFile(uintptr(f.fd), f.name))
	if err != nil {
		return zero, fmt.Errorf("fd %q (%d): %w", name, f.fd, err)
	}
	return v, nil
}

// lookup finds the fd called name; r.mu must be held.
func (r *Received) lookup(name string) (*receivedFD, error) {
	key := EnvName(name)
	var found []*receivedFD
	for _, f := range r.fds {
		if f.name != "" && f.key == key {
			found = append(found, f)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) > 1:
		nums := make([]string, len(found))
		for i, f := range found {
			nums[i] = strconv.Itoa(f.fd)
		}
		return nil, fmt.Errorf("fd name %q is ambiguous: %s gives it to fds %s", name, EnvListenFDNames, strings.Join(nums, ", "))
	case r.systemd:
		return nil, fmt.Errorf("no fd named %q: %s is not set and %s does not list it", name, key, EnvListenFDNames)
	}
	return nil, fmt.Errorf("no fd named %q: %s is not set", name, key)
}
