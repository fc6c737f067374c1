package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ww-dev/ww/fdmgr"
)

// runUsage is ww run's help. It is built when asked for, not at start-up,
// which every ww run would pay for.
func runUsage() string {
	return `Usage:
  ww run [--with-fd NAME=SOURCE]... [--systemd] [--] BINARY [ARG...]
  ww run --bundle DIR [--id ID] [--runtime NAME|PATH] [--with-fd NAME=SOURCE]... [--systemd] [-- ARG...]

Each --with-fd NAME=SOURCE hands an fd to the program. The fds land at 3, 4, 5, …
(inherited fds first, by number, then the others by name), and the program
finds each in WW_FD_<NAME>=<fd>. With --bundle, the program is the container's.

SOURCE: ` + strings.Join(fdmgr.SourceUsage(), "\n        ") + `

Flags:
`
}

// runCommand is ww run.
func runCommand(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 2 && args[0] == cleanAfterArg {
		return cleanAfter(args[1])
	}
	var (
		fds                  fdOptions
		bundle, id, lowerRun string
	)
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fds.register(fs)
	fs.StringVar(&bundle, "bundle", "", "run the container of the OCI bundle in `DIR`")
	fs.StringVar(&bundle, "b", "", "short for --bundle")
	fs.StringVar(&id, "id", "", "container `ID` for --bundle (default: a new unique one)")
	fs.StringVar(&lowerRun, "runtime", "runc", "OCI runtime `NAME|PATH` for --bundle")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, runUsage())
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return nil
		}
		return flagError(err)
	}
	given := map[string]flag.Value{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = f.Value })
	if bundle == "" {
		if err := hostOnly(given); err != nil {
			return err
		}
		return runHost(fs.Args(), fds.withFDs.values, fds.systemd)
	}
	if _, ok := given["id"]; ok && id == "" {
		return usageErrf("--id %q: the container id is empty", id)
	}
	return runBundle(bundleOptions{bundle: bundle, id: id, runtime: lowerRun,
		withFDs: fds.withFDs.values, systemd: fds.systemd, args: fs.Args()})
}

// hostOnly refuses the flags that mean something only with --bundle.
func hostOnly(given map[string]flag.Value) error {
	for _, name := range []string{"bundle", "b"} {
		if v, ok := given[name]; ok {
			return usageErrf("%s %q: the bundle folder is empty", dashes(name), v)
		}
	}
	for _, name := range []string{"id", "runtime"} {
		if v, ok := given[name]; ok {
			return usageErrf("--%s %q: only with --bundle", name, v)
		}
	}
	return nil
}

// runHost runs argv on this host with the named fds and returns the
// child's status as an *exitError. Everything is checked before anything
// is opened, and everything is opened before the child starts.
//
// With systemd, ww sets the socket-activation protocol and replaces itself
// with the program, as systemd-socket-activate does, so that LISTEN_PID
// is the program's pid; there is then no child to wait for.
func runHost(argv []string, withFDs []string, systemd bool) error {
	var sigs hostSignals
	if !systemd {
		// Caught first: where os/signal does it (see catchForChild),
		// that overlaps its cost with all ww does before the fork.
		var err error
		if sigs, err = catchForChild(); err != nil {
			return err
		}
	}
	m, err := parseWithFDs(withFDs)
	if err != nil {
		return err
	}
	if len(argv) == 0 {
		return usageErrf("no BINARY given (usage: ww run [--with-fd NAME=SOURCE]... [--systemd] [--] BINARY [ARG...])")
	}
	path, err := lookPath(argv[0], os.Getenv("PATH"))
	if err != nil {
		return err
	}
	defer m.Close()
	if systemd {
		if err := m.ReserveTargets(); err != nil {
			return err
		}
	} else {
		// The forked child makes its own copies as it places them.
		m.Borrow = true
		if m.MakesFiles() {
			sigs.hold(false)
			defer dieIfHeld(m, sigs)
		}
	}
	if err := m.PrepareFDs(); err != nil {
		return usageErr(fmt.Errorf("--with-fd %w", err))
	}
	env := fdmgr.Environ(os.Environ(), m.GenerateEnvVars()...)
	if !systemd {
		return startAndWait(path, argv, env, m, sigs)
	}
	listen, err := m.SystemdEnvVars(os.Getpid())
	if err != nil {
		return err
	}
	err = m.Exec(path, argv, append(env, listen...), fdmgr.ExecOptions{})
	m.Abort()
	return startError(path, err)
}

// dieIfHeld ends ww by the signal held back, if one was, once the files
// ww made are removed: a signal before the child ends ww as it would
// have without the hold, and nothing ww made is left.
func dieIfHeld(m *fdmgr.FDManager, sigs hostSignals) {
	if sig := sigs.held(); sig != 0 {
		m.Abort()
		sigs.die(sig)
	}
}

// parseWithFDs checks the --with-fd values, and that every fd they name
// is open, before anything is opened or started.
func parseWithFDs(values []string) (*fdmgr.FDManager, error) {
	m := fdmgr.NewFDManager()
	if err := m.ParseFDFlags(values...); err != nil {
		return nil, usageErr(fmt.Errorf("--with-fd %w", err))
	}
	if err := m.CheckFDs(); err != nil {
		return nil, usageErr(fmt.Errorf("--with-fd %w", err))
	}
	return m, nil
}

// lookPath finds file as execvp(3) does: a name with a slash is used as it
// is, any other is searched in PATH. A file that exists but cannot be
// executed is status 126, one that does not exist 127, as env(1) has it.
func lookPath(file, pathEnv string) (string, error) {
	p, err := findExecutable(file, pathEnv)
	if err != nil {
		err = fmt.Errorf("BINARY %q: %w", file, err)
	}
	switch {
	case err == nil:
		return p, nil
	case errors.Is(err, os.ErrPermission):
		return "", &exitError{code: exitCannotExec, err: err}
	default:
		return "", &exitError{code: exitNotFound, err: err}
	}
}
