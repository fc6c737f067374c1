// Package fastpath replaces ww runtime with the lower runtime for the
// calls it passes through untouched (state, start, kill, features, …),
// before ww pays for more of its start than it must.
//
// A container engine calls its runtime about a dozen times per pod, and
// all but the creates (and a delete of a container that ww runtime keeps
// a record of) go to the lower runtime as they came. What ww pays on
// those calls is its start. It hands them over at one of two points:
//
//   - execEarly, at the process's first instruction, before the Go runtime
//     starts: where ww is linked with EntrySymbol as its entry point
//     (linux/amd64; the Makefile and the image do so). It costs no more
//     than a static C program would, and a call passed through costs less
//     than through a Go program that only execs (see
//     early_linux_amd64.go for the figures). Deletes go on to Try.
//   - Try, from the init of package atinit, which Go runs right after os:
//     Go initialises packages in the order of their import paths among
//     those whose imports are done; this package imports only os, path,
//     syscall, unsafe and hook/recname (hash/fnv and strconv), none of
//     which imports unicode, so atinit comes before every other package
//     of ww's and its dependencies' (net, logrus, runtime-spec, go-toml,
//     reflect, encoding/json: 110 µs of a 220 µs start, measured on
//     2026-12-01). Reading argv from /proc/self/cmdline to run before os
//     instead cost every other start of ww 20 µs more than it saved.
//
// Both decide from argv and the environment alone (decide), with plain
// system calls, and leave every case they are not sure of to the full
// path, which passes it through itself or reports the error: a command
// line it cannot read as runc would (an unknown global flag, a flag
// missing its value), create and run, a delete of a container with a
// record (found where package hook keeps it, by package recname), a
// lower runtime that cannot be found or is ww, the loop mark set, an exec
// that fails. What they decide, and the lower runtime's argv and
// environment, are the full path's (TestFastPath and TestEarly in
// cmd/ww run them side by side; FuzzParse in runcargs checks the reading
// of argv).
package fastpath

// Where the lower runtime comes from, as ww runtime reads it: the
// environment, then a file with its path or name on the first line, then
// runc from PATH.
const (
	LowerRuntimeEnv  = "WW_LOWER_RUNTIME"
	LowerRuntimeFile = "/etc/ww/lower-runtime"
	DefaultLower     = "runc"
	// MaxLowerRuntimeFile bounds the read of LowerRuntimeFile: one line.
	MaxLowerRuntimeFile = 4 << 10
	// DefaultPath is searched when PATH is unset or empty.
	DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	// LoopEnv marks the environment of every lower runtime ww starts.
	LoopEnv = "WW_RUNTIME_LOWER"
	// RuntimeName is the name under which ww acts as a runtime by itself.
	RuntimeName = "ww-runtime"
)

// EntrySymbol is the entry point to link ww with on linux/amd64 (go build
// -ldflags "-E EntrySymbol"): entry, which runs execEarly before the Go
// runtime starts, then the runtime's own entry. A build without it, and
// a build for another platform, passes calls through from Try, once the
// runtime has started.
const EntrySymbol = "github.com/ww-dev/ww/cmd/internal/fastpath.entry"

// GlobalFlag looks up one of runc's global flags by a name it may be
// written under (without dashes): the name it is filed under, and whether
// it takes a value ("--root R"; a boolean takes one only after "="). The
// table is runcargs' too. --criu was removed in runc 1.4; it is still
// known so that an older runc's argv parses.
//
//go:norace
func GlobalFlag(name string) (canonical string, takesValue, ok bool) {
	switch name {
	case "debug", "systemd-cgroup":
		return name, false, true
	case "help", "h":
		return "help", false, true
	case "version", "v":
		return "version", false, true
	case "log", "log-format", "root", "rootless", "criu":
		return name, true, true
	}
	return "", false, false
}

// RuntimeArgs returns runc's arguments when argv calls ww as a runtime:
// "ww-runtime ARGS", or "ww runtime ARGS".
//
// RuntimeArgs, GlobalFlag and ReadGlobal also run before the Go runtime
// starts (see execEarly): they allocate nothing and call nothing that
// needs the runtime.
//
//go:norace
func RuntimeArgs(argv []string) ([]string, bool) {
	switch {
	case len(argv) > 0 && baseIs(argv[0], RuntimeName):
		return argv[1:], true
	case len(argv) > 1 && argv[1] == "runtime":
		return argv[2:], true
	}
	return nil, false
}

// baseIs reports whether path.Base(p) is name, a name with no slash that
// is neither "." nor "/".
//
//go:norace
func baseIs(p, name string) bool {
	for len(p) > 0 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			p = p[i+1:]
			break
		}
	}
	return p == name
}

// PassesThrough reports whether runc's arguments args are, read as runc
// reads its global flags, a call that ww passes to the lower runtime
// as it came: one whose subcommand is neither create, run nor delete.
// It says false for any command line it does not read to the end of its
// global flags without doubt. (A delete passes through too when it names
// a container without a record, which Try looks for.)
func PassesThrough(args []string) bool {
	cmd, ok := Subcommand(args)
	if !ok {
		return false
	}
	switch cmd {
	case "create", "run", "delete":
		return false
	}
	return true
}

// Subcommand returns the subcommand of runc's arguments args, past the
// global flags as runcargs reads them, or false where runcargs would
// find the flags in error or there is no subcommand.
func Subcommand(args []string) (string, bool) {
	g, ok := ReadGlobal(args)
	return g.Command, ok
}

// Global is what ReadGlobal reads of runc's arguments.
type Global struct {
	Command string   // the subcommand
	Rest    []string // the arguments after it
	Root    string   // the last --root, or ""
	// HelpOrVersion says that a --help or --version flag was given (with
	// any value): runc prints and exits.
	HelpOrVersion bool
}

// ReadGlobal reads runc's global flags in args as runcargs reads them, up
// to the subcommand; false where runcargs would find the flags in error
// or there is no subcommand.
//
//go:norace
func ReadGlobal(args []string) (Global, bool) {
	var g Global
	for i := 0; i < len(args); i++ {
		tok := args[i]
		if len(tok) < 2 || tok[0] != '-' {
			g.Command, g.Rest = tok, args[i+1:]
			return g, true
		}
		if tok == "--" {
			if i+1 < len(args) {
				g.Command, g.Rest = args[i+1], args[i+2:]
				return g, true
			}
			return Global{}, false
		}
		body := tok[1:]
		if body[0] == '-' {
			body = body[1:]
		}
		if body == "" || body[0] == '-' || body[0] == '=' {
			return Global{}, false
		}
		name, inline := body, false
		for j := 0; j < len(body); j++ {
			if body[j] == '=' {
				name, inline = body[:j], true
				break
			}
		}
		canonical, takesValue, ok := GlobalFlag(name)
		if !ok {
			return Global{}, false
		}
		value := body[len(name):]
		if inline {
			value = value[1:]
		}
		if takesValue && !inline {
			if i+1 >= len(args) {
				return Global{}, false
			}
			i++
			value = args[i]
		}
		switch canonical {
		case "root":
			g.Root = value
		case "help", "version":
			g.HelpOrVersion = true
		}
	}
	return Global{}, false
}

// DeleteID is the container ID of a delete whose arguments after the
// subcommand are rest, "" for arguments that ww does not read with
// certainty: the ID alone, with --force or -f in any of their forms
// before or after it.
func DeleteID(rest []string) string {
	id := ""
	for _, arg := range rest {
		switch arg {
		case "-f", "--force", "-force", "--force=true", "--force=false":
			continue
		}
		if len(arg) > 0 && arg[0] == '-' || id != "" {
			return ""
		}
		id = arg
	}
	return id
}
