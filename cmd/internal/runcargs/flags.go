package runcargs

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ww-dev/ww/cmd/internal/fastpath"
)

// kind is how a flag takes its value.
type kind int

const (
	boolKind   kind = iota // no value, or one after "="
	stringKind             // a value, after "=" or in the next argument
	intKind                // as stringKind, read as a Go integer literal
)

// flagSpec is one flag runc defines: its first name, under which its other
// names (-b for --bundle) are filed, and how it takes a value.
type flagSpec struct {
	name string
	kind kind
}

// globalFlag looks up one of runc's global flags by a name it may be
// written under, in the table that ww runtime's fast path reads too
// (fastpath.GlobalFlag).
func globalFlag(name string) (flagSpec, bool) {
	canonical, takesValue, ok := fastpath.GlobalFlag(name)
	switch {
	case !ok:
		return flagSpec{}, false
	case takesValue:
		return flagSpec{canonical, stringKind}, true
	}
	return flagSpec{canonical, boolKind}, true
}

// laterGlobalFlag looks up a global flag that runc's main branch also
// reads after the subcommand: every one but --help and --version, which
// are each command's own, and --criu, which runc main no longer has.
//
// runc main (past 1.5.1, in no release yet) moved to urfave/cli v3,
// where a flag of the root command is, unless marked local, one *Flag
// value that every subcommand parses too: each occurrence sets that one
// value in the order of argv, the root's arguments being parsed before
// the subcommand's, so the last one written counts, and one after the
// subcommand wins over one before it. Established by reading
// command_parse.go (parseFlags), command_run.go and flag_impl.go
// (FlagBase.Set) of urfave/cli v3.10.1 as vendored in runc main at
// 76d9cf5, and by running a runc built from that commit: "--log A create
// --log B" logs to B alone, and "--log-format yaml create --log-format
// json" is accepted, the reverse refused. TestAgainstRuncMain repeats
// such runs where $WW_RUNC_MAIN names that runc. A subcommand may also
// define a flag of its own under a global name (runc main's "spec
// --rootless" is a boolean of spec's), which hides the global one after
// it: create and run define none.
func laterGlobalFlag(name string) (flagSpec, bool) {
	switch name {
	case "help", "h", "version", "v", "criu":
		return flagSpec{}, false
	}
	return globalFlag(name)
}

// createFlag looks up a flag of runc create, or of runc run when run is
// set. --pidfd-socket is new in runc 1.2; an older runc rejects it itself.
func createFlag(name string, run bool) (flagSpec, bool) {
	switch name {
	case "bundle", "b":
		return flagSpec{"bundle", stringKind}, true
	case "help", "h":
		return flagSpec{"help", boolKind}, true
	case "console-socket", "pidfd-socket", "pid-file":
		return flagSpec{name, stringKind}, true
	case "no-pivot", "no-new-keyring":
		return flagSpec{name, boolKind}, true
	case "preserve-fds":
		return flagSpec{name, intKind}, true
	}
	if !run {
		return flagSpec{}, false
	}
	switch name {
	case "detach", "d":
		return flagSpec{"detach", boolKind}, true
	case "keep", "no-subreaper":
		return flagSpec{name, boolKind}, true
	}
	return flagSpec{}, false
}

// setting is one flag as found in argv.
type setting struct {
	name    string // the flagSpec name
	as      string // the name it was written under, without dashes
	spelled string // the flag as written, dashes included, up to any "="
	token   int    // index in argv of the flag
	value   int    // index in argv of its value, or -1 when inline or none
	text    string // the value; "true" for a bare boolean flag
	on      bool   // the value of a boolean flag
	num     int    // the value of an integer flag
}

// inline reports whether the value was written after "=" in the flag's
// own argument.
func (s setting) inline() bool { return s.value < 0 }

// scanFlags reads flags from the arguments of argv at the indices in
// order, as Go's flag package does, up to the first argument that is not a
// flag ("-" is not one) or just after "--". It returns the flags read and
// the indices of the arguments left.
func scanFlags(argv []string, order []int, scope string,
	lookup func(string) (flagSpec, bool)) ([]setting, []int, error) {
	var found []setting
	for k := 0; k < len(order); k++ {
		tok := argv[order[k]]
		if len(tok) < 2 || tok[0] != '-' {
			return found, order[k:], nil
		}
		if tok == "--" {
			return found, order[k+1:], nil
		}
		body := strings.TrimPrefix(tok[1:], "-")
		if body == "" || body[0] == '-' || body[0] == '=' {
			return nil, nil, fmt.Errorf("%s flag %q: bad syntax", scope, tok)
		}
		name, text, inline := strings.Cut(body, "=")
		spec, ok := lookup(name)
		if !ok {
			return nil, nil, fmt.Errorf("%s flag %q: unknown", scope, tok)
		}
		s := setting{name: spec.name, as: name, spelled: tok[:len(tok)-len(body)] + name,
			token: order[k], value: -1, text: text}
		switch {
		case spec.kind == boolKind && !inline:
			s.text = "true"
		case spec.kind == boolKind, inline:
			// The value is the text after "=", already kept.
		case k+1 < len(order):
			k++
			s.value, s.text = order[k], argv[order[k]]
		default:
			return nil, nil, fmt.Errorf("%s: missing value", s.spelled)
		}
		if err := s.read(spec.kind); err != nil {
			return nil, nil, err
		}
		found = append(found, s)
	}
	return found, nil, nil
}

// read checks the value of a boolean or integer flag the way runc's
// flag.Value.Set does, and keeps it.
func (s *setting) read(k kind) error {
	var err error
	switch k {
	case boolKind:
		if s.on, err = strconv.ParseBool(s.text); err != nil {
			return fmt.Errorf("%s %q: not a boolean", s.spelled, s.text)
		}
	case intKind:
		// Base 0, as flag.IntVar: runc takes "0x10" and "1_000" too.
		n, err := strconv.ParseInt(s.text, 0, strconv.IntSize)
		if errors.Is(err, strconv.ErrRange) {
			return fmt.Errorf("%s %q: out of range", s.spelled, s.text)
		}
		if err != nil {
			return fmt.Errorf("%s %q: not a number", s.spelled, s.text)
		}
		s.num = int(n)
	}
	return nil
}

// checkForms fails when one flag is given under two of its names, as
// urfave/cli v1 does ("-b x --bundle y"); the same name twice is fine, the
// last one counting.
func checkForms(found []setting) error {
	first := make(map[string]setting)
	for _, s := range found {
		f, ok := first[s.name]
		if !ok {
			first[s.name] = s
			continue
		}
		if f.as != s.as {
			return fmt.Errorf("%s: cannot be used with %s", s.spelled, f.spelled)
		}
	}
	return nil
}

// last returns the setting that counts for each flag name: the last one.
func last(found []setting) map[string]setting {
	m := make(map[string]setting, len(found))
	for _, s := range found {
		m[s.name] = s
	}
	return m
}

// reorder returns the indices of argv[from:] in the order runc's
// urfave/cli (v1.22.14 on, runc 1.2 to 1.5) hands them to the flag parser:
// each known flag, with the argument after it unless that is a known flag
// too, moved ahead of the other arguments; nothing moved from after a "--"
// that is not such a value.
func reorder(argv []string, from int, known func(string) bool) []int {
	var flags, others []int
	wantValue := false
	for i := from; i < len(argv); i++ {
		arg := argv[i]
		isFlag := looksKnown(arg, known)
		switch {
		case wantValue && !isFlag:
			wantValue = false
			flags = append(flags, i)
		case arg == "--":
			others = append(append([]int{i}, others...), indices(i+1, len(argv))...)
			return append(flags, others...)
		case isFlag:
			flags = append(flags, i)
			wantValue = !strings.Contains(arg, "=")
		default:
			others = append(others, i)
		}
	}
	return append(flags, others...)
}

// looksKnown reports whether arg names a known flag the loose way
// urfave/cli's reordering tells flags apart: up to three leading dashes
// dropped, and anything from the first "=" on.
func looksKnown(arg string, known func(string) bool) bool {
	if arg == "-" || arg == "--" || !strings.HasPrefix(arg, "-") {
		return false
	}
	name := strings.TrimPrefix(strings.TrimPrefix(arg, "--"), "-")
	name, _, _ = strings.Cut(name, "=")
	return known(name)
}
