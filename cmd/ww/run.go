package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/ww-dev/ww/fdmgr"
)

func runCommand() *cli.Command {
	var (
		fds                  fdFlags
		systemd              bool
		bundle, id, lowerRun string
	)
	return &cli.Command{
		Name:      "run",
		Usage:     "run a program, or an OCI bundle's container, with named fds",
		ArgsUsage: "[--] BINARY [ARG...]  |  --bundle DIR [-- ARG...]",
		Description: "Each --with-fd NAME=SOURCE hands an fd to the program. The fds land at 3, 4, 5, …\n" +
			"(inherited fds first, by number, then the others by name), and the program\n" +
			"finds each in WW_FD_<NAME>=<fd>. With --bundle, the program is the container's.",
		Flags: []cli.Flag{
			withFDFlag(&fds), systemdFlag(&systemd),
			&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Usage: "run the container of the OCI bundle in `DIR`", Destination: &bundle},
			&cli.StringFlag{Name: "id", Usage: "container `ID` (default: a new unique one)", Destination: &id},
			&cli.StringFlag{Name: "runtime", Value: "runc", Usage: "OCI runtime `NAME|PATH` for --bundle", Destination: &lowerRun},
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if bundle != "" {
				return runBundle(bundleOptions{bundle: bundle, id: id, runtime: lowerRun,
					withFDs: fds.values, systemd: systemd, args: c.Args().Slice()})
			}
			for _, f := range []string{"id", "runtime"} {
				if c.IsSet(f) {
					return usageErrf("--%s %q: only with --bundle", f, c.String(f))
				}
			}
			return runHost(c.Args().Slice(), fds.values, systemd)
		},
	}
}

// runHost runs argv on this host with the named fds and returns the
// child's status as an *exitError. Everything is checked before anything
// is opened, and everything is opened before the child starts.
//
// With systemd, ww sets the socket-activation protocol and replaces itself
// with the program, as systemd-socket-activate does, so that LISTEN_PID
// is the program's pid; there is then no child to wait for.
func runHost(argv []string, withFDs []string, systemd bool) error {
	m := fdmgr.NewFDManager()
	for _, v := range withFDs {
		if err := m.ParseFDFlag(v); err != nil {
			return usageErr(fmt.Errorf("--with-fd %w", err))
		}
	}
	if len(argv) == 0 {
		return usageErrf("no BINARY given (usage: ww run [--with-fd NAME=FD]... [--] BINARY [ARG...])")
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
	}
	if err := m.PrepareFDs(); err != nil {
		return usageErr(fmt.Errorf("--with-fd %w", err))
	}
	env := fdmgr.Environ(os.Environ(), m.GenerateEnvVars()...)
	if !systemd {
		return startAndWait(path, argv, env, m.FDs())
	}
	listen, err := m.SystemdEnvVars(os.Getpid())
	if err != nil {
		return err
	}
	return startError(path, m.Exec(path, argv, append(env, listen...), fdmgr.ExecOptions{}))
}

// lookPath finds file as execvp(3) does: a name with a slash is used as it
// is, any other is searched in PATH. A file that exists but cannot be
// executed is status 126, one that does not exist 127, as env(1) has it.
func lookPath(file, pathEnv string) (string, error) {
	p, err := findExecutable(file, pathEnv)
	switch {
	case err == nil:
		return p, nil
	case errors.Is(err, os.ErrPermission):
		return "", &exitError{code: exitCannotExec, err: err}
	default:
		return "", &exitError{code: exitNotFound, err: err}
	}
}
