package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
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
	if len(args) < 2 {
		fmt.Fprint(stdout, usage)
		return nil
	}
	switch args[1] {
	case "run":
		return runCommand(ctx, args[2:], stdout)
	case "runtime":
		return runtimeMain(args[2:], stderr)
	case "policy":
		return policyCommand(args[2:], stdout)
	case "install":
		return installCommand(args[2:], stdout)
	case "version", "--version":
		return versionCommand(args[2:], stdout)
	case "hook":
		return hookCommand(args[2:])
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageErrf("unknown command %q (see ww --help)", args[1])
}

const usage = `ww: start programs with named file descriptors

ww hands named fds to a program: they land at 3, 4, 5, … in a fixed order,
and the program finds each by name in WW_FD_<NAME>=<fd>.

Usage:
  ww run [--with-fd NAME=SOURCE]... [--systemd] [--] BINARY [ARG...]
  ww run --bundle DIR [--id ID] [--runtime NAME|PATH] [--with-fd NAME=SOURCE]... [--systemd] [-- ARG...]
  ww runtime [RUNC GLOBAL FLAGS] COMMAND [ARGS...]
  ww policy check [FILE] | ww policy test --namespace NS [--policy FILE] KEY=SOURCE...
  ww install containerd|crio [--config PATH] [--drop-in PATH] [--handler NAME] [--dry-run] [--uninstall]
  ww version
  ww hook createRuntime|prestart|poststop   (an OCI hook: the state on stdin)

Commands:
  run       run a program, or an OCI bundle's container, with named fds
  runtime   act as an OCI runtime with runc's command line; on create and run,
            add the fds the bundle's fd.ww.dev/<name> annotations ask for
            (also as ww-runtime; the lower runtime is $` + lowerRuntimeEnv + `,
            the first line of ` + lowerRuntimeFile + `, or runc)
  install   add a runtime handler for ww-runtime to containerd's or CRI-O's
            configuration, or take it out (see ww install --help)
  version   print ww's version, commit and Go version (also ww --version)
  hook      as an OCI hook: at createRuntime, fail a container whose fds did not
            come through ww runtime; at poststop, remove what ww made for it

See ww run --help, and README.md for the SOURCE forms and the contract.
`

// flagError turns the flag package's messages into ww's one-line form.
// The package gives them as plain text, with no error type or field to
// tell the case and the flag, so flagError reads its English wording;
// TestFlagError provokes each message from the real package, so a Go
// that rewords one fails a test instead of showing users its raw text.
func flagError(err error) error {
	msg := err.Error()
	if flag, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return usageErrf("%s needs a value", dashes(flag))
	}
	if flag, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		return usageErrf("unknown flag %q", dashes(flag))
	}
	// invalid boolean value "maybe" for -systemd: parse error
	if rest, ok := strings.CutPrefix(msg, "invalid boolean value "); ok {
		// The last " for ": the quoted value may hold one, a flag's name not.
		if i := strings.LastIndex(rest, " for "); i >= 0 {
			value, flag := rest[:i], rest[i+len(" for "):]
			flag, _, _ = strings.Cut(flag, ":")
			return usageErrf("%s %s: not true or false", dashes(flag), value)
		}
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
