package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// fdFlags collects --with-fd values in the order given. It is a cli.Generic
// rather than a StringSlice so that values are never split at commas.
type fdFlags struct{ values []string }

func (f *fdFlags) Set(v string) error { f.values = append(f.values, v); return nil }
func (f *fdFlags) String() string     { return strings.Join(f.values, " ") }

// withFDFlag is --with-fd, shared by every command that hands fds over.
func withFDFlag(dest *fdFlags) cli.Flag {
	return &cli.GenericFlag{
		Name:  "with-fd",
		Usage: "hand `NAME=SOURCE` to the program at the next fd from 3 (repeatable)",
		Value: dest,
	}
}

// systemdFlag is --systemd: also speak the socket-activation protocol.
func systemdFlag(dest *bool) cli.Flag {
	return &cli.BoolFlag{
		Name:        "systemd",
		Usage:       "also set LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID (systemd socket activation)",
		Destination: dest,
	}
}
