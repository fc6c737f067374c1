package main

import (
	"flag"
	"strings"
)

// fdFlags collects --with-fd values in the order given; a value is never
// split, whatever it holds.
type fdFlags struct{ values []string }

func (f *fdFlags) Set(v string) error { f.values = append(f.values, v); return nil }
func (f *fdFlags) String() string     { return strings.Join(f.values, " ") }

// fdOptions are the flags of every command that hands fds over, defined
// once.
type fdOptions struct {
	withFDs fdFlags
	systemd bool
}

func (o *fdOptions) register(fs *flag.FlagSet) {
	fs.Var(&o.withFDs, "with-fd", "hand `NAME=SOURCE` to the program at the next fd from 3 (repeatable)")
	fs.BoolVar(&o.systemd, "systemd", false, "also set LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID (systemd socket activation)")
}
