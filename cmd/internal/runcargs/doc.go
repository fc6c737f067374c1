// Package runcargs takes apart the command line that containerd, CRI-O,
// Docker and Podman give runc, so that ww, standing in for runc, can find
// the subcommand, the bundle and the --preserve-fds count, and rebuild the
// same command line with another count for the real runc.
//
// It reads argv as runc 1.1 to 1.5 do, odd corners of 1.1 aside
// (urfave/cli v1 over Go's flag package): global flags up to the first
// non-flag argument, which names the subcommand; "-name" and "--name"
// alike; a value in the same argument after "=" or in the next one;
// boolean flags taking a value only after "=". For create and run only,
// flags may follow the container ID, as runc moves its own known flags
// (and their values) ahead of the other arguments before parsing them.
// Every other subcommand's arguments are kept as they are, unread, so
// that ww is never stricter than runc about them.
//
// Everything here is pure: no file, environment or working directory is
// read; the working directory that --bundle defaults to is a parameter.
package runcargs
