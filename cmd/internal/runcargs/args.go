package runcargs

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// The subcommands whose arguments Parse reads; all others pass through.
const (
	Create = "create"
	Run    = "run"
)

// Args is a runc command line taken apart. Flags not given are left at
// their zero value, not at runc's default (runc's --root, for one, depends
// on its environment).
type Args struct {
	// Argv is the command line Parse read, without the program name.
	Argv []string

	// Global flags, each the value that counts: the last one written.
	// On create and run, that may be one written after the subcommand,
	// which runc main reads (see laterGlobalFlag); other subcommands'
	// arguments are not read, so only flags before them count here.
	Root, Log, LogFormat, Rootless, Criu string
	Debug, SystemdCgroup                 bool
	// Help and Version make runc print and exit, running no subcommand.
	Help, Version bool

	// Global is Argv before the subcommand, or all of it when there is
	// none: the global flags as written before the subcommand (those
	// written after it are in CommandArgs).
	Global []string
	// Command is the subcommand, or "" when there is none.
	Command string
	// CommandIndex is the index of Command in Argv, or -1.
	CommandIndex int
	// CommandArgs is Argv after the subcommand, as written.
	CommandArgs []string

	// The rest is read for create and run only.

	// Bundle is the --bundle value, or the working directory Parse was
	// given when --bundle is absent or empty. A relative path is relative
	// to the working directory, for runc as for the caller.
	Bundle                              string
	ConsoleSocket, PIDFile, PIDFDSocket string
	// PreserveFDs is the --preserve-fds count; runc treats a negative one
	// as 0.
	PreserveFDs           int
	NoPivot, NoNewKeyring bool
	// Detach, Keep and NoSubreaper are flags of run only.
	Detach, Keep, NoSubreaper bool
	// CommandHelp is set by "create --help": runc prints and exits.
	CommandHelp bool
	// ID is the container ID.
	ID string

	bundle, preserveFDs position
}

// position is where a flag sits in Argv.
type position struct {
	set bool
	setting
}

// Parse takes apart argv, runc's arguments without the program name, as
// runc 1.2 to 1.5 read them (upstream runc 1.1, on urfave/cli v1.22.1,
// differs only on odd argv such as "create ID --bundle --"), and reads
// the global flags that runc main also takes among the arguments of
// create and run; cwd is the working directory, which --bundle defaults
// to. It fails only where runc 1.x refuses argv too (runc main takes a
// few such argv, listed in doc.go): on a global flag runc does not know,
// or a bad value (of --log-format always, of --rootless on create and run
// only, as runc), and for create and run on a flag runc does not take, a
// bad value, or other than one container ID. Other subcommands' arguments
// are not read, so never refused.
func Parse(argv []string, cwd string) (*Args, error) {
	a := &Args{Argv: slices.Clone(argv), CommandIndex: -1}
	found, rest, err := scanFlags(a.Argv, indices(0, len(a.Argv)), "global", globalFlag)
	if err != nil {
		return nil, err
	}
	if err := checkForms(found); err != nil {
		return nil, err
	}
	a.setGlobal(found)
	global := last(found)
	a.Global = a.Argv[:len(a.Argv):len(a.Argv)]
	if len(rest) > 0 {
		i := rest[0]
		a.Command, a.CommandIndex = a.Argv[i], i
		a.Global, a.CommandArgs = a.Argv[:i:i], a.Argv[i+1:]
	}
	if a.Help || a.Version {
		return a, nil
	}
	if a.Command != Create && a.Command != Run {
		if err := checkLogFormat(global["log-format"]); err != nil {
			return nil, err
		}
		return a, nil
	}
	later, err := a.parseCommand(cwd)
	if err != nil {
		// runc 1.x checks --log-format before it reads create's or run's
		// arguments: that error comes first.
		if ferr := checkLogFormat(global["log-format"]); ferr != nil {
			return nil, ferr
		}
		return nil, err
	}
	// Values are checked as they count, whichever side of the subcommand
	// they were written on: runc main checks them once all is parsed.
	maps.Copy(global, last(later))
	if err := checkLogFormat(global["log-format"]); err != nil {
		return nil, err
	}
	if err := checkRootless(global["rootless"]); err != nil {
		return nil, err
	}
	return a, nil
}

// Creates reports whether runc, given these arguments, creates a container
// from a bundle: the subcommand is create or run, and no help or version
// flag has it print and exit instead.
func (a *Args) Creates() bool {
	return (a.Command == Create || a.Command == Run) && !a.Help && !a.Version && !a.CommandHelp
}

func (a *Args) setGlobal(found []setting) {
	for _, s := range found {
		switch s.name {
		case "root":
			a.Root = s.text
		case "log":
			a.Log = s.text
		case "log-format":
			a.LogFormat = s.text
		case "rootless":
			a.Rootless = s.text
		case "criu":
			a.Criu = s.text
		case "debug":
			a.Debug = s.on
		case "systemd-cgroup":
			a.SystemdCgroup = s.on
		case "help":
			a.Help = s.on
		case "version":
			a.Version = s.on
		}
	}
}

// parseCommand reads the arguments of create or run, global flags among
// them (runc main), which it returns.
func (a *Args) parseCommand(cwd string) ([]setting, error) {
	order := reorder(a.Argv, a.CommandIndex+1, a.knows)
	found, rest, err := scanFlags(a.Argv, order, a.Command, a.lookup)
	if err != nil {
		return nil, err
	}
	if err := checkForms(found); err != nil {
		return nil, err
	}
	var later []setting
	for _, s := range found {
		if _, ok := laterGlobalFlag(s.name); ok {
			later = append(later, s)
			continue
		}
		a.setCommand(s)
	}
	a.setGlobal(later)
	if a.Bundle == "" {
		a.Bundle = cwd
	}
	if a.CommandHelp {
		return later, nil
	}
	switch {
	case len(rest) == 0:
		return nil, fmt.Errorf("%s: missing container ID", a.Command)
	case len(rest) > 1:
		return nil, fmt.Errorf("%s: unexpected argument %q after container ID %q",
			a.Command, a.Argv[rest[1]], a.Argv[rest[0]])
	}
	a.ID = a.Argv[rest[0]]
	return later, nil
}

// lookup looks up a flag of the subcommand, create or run, or a global
// flag that runc main reads there too. Only --help is both, and there it
// is the subcommand's: laterGlobalFlag leaves it out.
func (a *Args) lookup(name string) (flagSpec, bool) {
	if spec, ok := createFlag(name, a.Command == Run); ok {
		return spec, true
	}
	return laterGlobalFlag(name)
}

// knows reports whether the subcommand, create or run, reads a flag name:
// one of its own or a global one.
func (a *Args) knows(name string) bool {
	_, ok := a.lookup(name)
	return ok
}

func (a *Args) setCommand(s setting) {
	switch s.name {
	case "bundle":
		a.Bundle, a.bundle = s.text, position{true, s}
	case "preserve-fds":
		a.PreserveFDs, a.preserveFDs = s.num, position{true, s}
	case "console-socket":
		a.ConsoleSocket = s.text
	case "pid-file":
		a.PIDFile = s.text
	case "pidfd-socket":
		a.PIDFDSocket = s.text
	case "no-pivot":
		a.NoPivot = s.on
	case "no-new-keyring":
		a.NoNewKeyring = s.on
	case "detach":
		a.Detach = s.on
	case "keep":
		a.Keep = s.on
	case "no-subreaper":
		a.NoSubreaper = s.on
	case "help":
		a.CommandHelp = s.on
	}
}

// checkLogFormat accepts what runc's logging setup does: "", text, json.
func checkLogFormat(s setting) error {
	switch s.text {
	case "", "text", "json":
		return nil
	}
	return fmt.Errorf("%s %q: not text or json", s.spelled, s.text)
}

// checkRootless accepts what runc's cgroup setup does: "", auto in any
// case, or a boolean.
func checkRootless(s setting) error {
	if s.text == "" || strings.EqualFold(s.text, "auto") {
		return nil
	}
	if _, err := strconv.ParseBool(s.text); err != nil {
		return fmt.Errorf("%s %q: not true, false or auto", s.spelled, s.text)
	}
	return nil
}

// indices returns from, from+1, …, to-1.
func indices(from, to int) []int {
	out := make([]int, 0, max(to-from, 0))
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}
