package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"
)

// Exit statuses of ww itself; a child's own status is passed through.
const (
	exitFailure     = 1
	exitUsage       = 2
	exitCannotExec  = 126
	exitNotFound    = 127
	exitSignalsBase = 128
)

// exitError carries an exit status out to main. A nil err means the status
// is a child's and there is nothing to print.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErr marks err as bad input: exit status 2.
func usageErr(err error) error { return &exitError{code: exitUsage, err: err} }

// usageErrf is usageErr with a format.
func usageErrf(format string, a ...any) error { return usageErr(fmt.Errorf(format, a...)) }

// exitCode reports err on w, once, and returns the status to exit with.
func exitCode(err error, w io.Writer) int {
	if err == nil {
		return 0
	}
	code := exitFailure
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code
		}
	}
	fmt.Fprintf(w, "ww: %v\n", err)
	return code
}

// run is ww's whole command line; args[0] is the program name.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	// The runtime reads runc's command line, not ww's: dispatch before
	// any flag parsing, and cheaply, as the runtime is called often.
	if len(args) > 0 && filepath.Base(args[0]) == runtimeName {
		return runtimeMain(args[1:], stderr)
	}
	if len(args) > 1 && args[1] == "runtime" {
		return runtimeMain(args[2:], stderr)
	}
	app := newApp(stdout, stderr)
	return app.RunContext(ctx, args)
}

func newApp(stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:  "ww",
		Usage: "start programs with named file descriptors",
		Description: "ww hands named fds to a program: they land at 3, 4, 5, … in a fixed order,\n" +
			"and the program finds each by name in WW_FD_<NAME>=<fd>.",
		Commands:  []*cli.Command{runCommand(), runtimeCommand()},
		Writer:    stdout,
		ErrWriter: stderr,
		// ww reports errors itself, once, and main alone exits.
		ExitErrHandler:  func(*cli.Context, error) {},
		OnUsageError:    onUsageError,
		HideHelpCommand: true,
	}
	app.Action = func(c *cli.Context) error {
		if c.NArg() > 0 {
			return usageErrf("unknown command %q (see ww --help)", c.Args().First())
		}
		return cli.ShowAppHelp(c)
	}
	return app
}

// onUsageError turns the flag package's messages into ww's one-line form.
func onUsageError(_ *cli.Context, err error, _ bool) error {
	msg := err.Error()
	if flag, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return usageErrf("%s needs a value", dashes(flag))
	}
	if flag, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		return usageErrf("unknown flag %q", dashes(flag))
	}
	return usageErr(err)
}

// dashes writes a flag the way users type it: --with-fd, not -with-fd.
func dashes(flag string) string {
	name := strings.TrimLeft(flag, "-")
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// runtimeCommand only documents ww runtime, which run dispatches before
// the command line is parsed.
func runtimeCommand() *cli.Command {
	return &cli.Command{
		Name:      "runtime",
		Usage:     "act as an OCI runtime (runc's command line) that adds the fds a bundle's annotations ask for",
		ArgsUsage: "[RUNC GLOBAL FLAGS] COMMAND [ARGS...]",
		Description: "Installed as ww-runtime, ww acts the same. On create and run, ww reads\n" +
			"fd.ww.dev/<name>: <source> annotations, writes WW_FD_* into config.json and\n" +
			"passes the fds with --preserve-fds; every other command goes to the lower\n" +
			"runtime (" + lowerRuntimeEnv + ", " + lowerRuntimeFile + ", or runc) untouched.",
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			return runtimeMain(c.Args().Slice(), c.App.ErrWriter)
		},
	}
}
