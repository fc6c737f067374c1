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
// runc's main branch (urfave/cli v3) also takes its global flags after
// the subcommand, anywhere among its arguments: "create --root R --bundle
// B ID", "--log L create ID --root R" (all but --help and --version,
// which are each command's own; it has no --criu). Among create's and run's arguments they are read here as create's
// own flags are; the last one written counts, so one after the
// subcommand wins over one before it, as in runc main (laterGlobalFlag
// says how that was established), and values are checked as they count.
// runc 1.x refuses a global flag there, so what runc 1.x takes reads as
// before. After any other subcommand they are not read: its own flags are
// unknown here, and one may share a global flag's name (runc main's
// "spec --rootless"); Args then holds the flags before the subcommand.
//
// --help or -h after the subcommand is the subcommand's own. On create
// and run it sets CommandHelp: the container ID is then not needed,
// global flags on either side are still read and their values checked,
// and no container is made: runc 1.x prints the help; runc main prints it
// too, unchecked, but with a container ID fails ("No help topic"). On
// other subcommands it is not read. --version or -v after the subcommand
// is an unknown flag, in runc main too.
//
// Where runc main takes argv that runc 1.x refuses (a boolean flag, the
// ID, then more flags; -b with --bundle; "--debug="), Parse refuses it
// still; mainDiffers in runcmain_test.go lists each such row, checked
// against a runc main binary.
//
// Everything here is pure: no file, environment or working directory is
// read; the working directory that --bundle defaults to is a parameter.
package runcargs
