package runcargs

import (
	"fmt"
	"slices"
	"strconv"
)

// WithPreserveFDs returns a copy of a.Argv for the real runc with the
// --preserve-fds count set to n: the caller's value replaced where it
// stands, in the form the caller wrote it ("--preserve-fds N",
// "-preserve-fds=N"…), or "--preserve-fds N" put right after the
// subcommand when absent. All other arguments are left byte for byte and in
// order; with n equal to the caller's count, Argv comes back unchanged.
func (a *Args) WithPreserveFDs(n int) ([]string, error) {
	if err := a.checkRewrite(); err != nil {
		return nil, fmt.Errorf("--preserve-fds: %w", err)
	}
	if n < 0 {
		return nil, fmt.Errorf("--preserve-fds \"%d\": negative", n)
	}
	if a.preserveFDs.set && n == a.PreserveFDs {
		return slices.Clone(a.Argv), nil
	}
	out, err := a.withValue(a.preserveFDs, "--preserve-fds", strconv.Itoa(n))
	if err != nil {
		return nil, fmt.Errorf("--preserve-fds: %w", err)
	}
	return out, nil
}

// WithBundle returns a copy of a.Argv for the real runc with the bundle
// set to dir, replaced or put in as WithPreserveFDs does its count. It
// fails rather than put dir, or replace a value, that runc would read as
// one of its flags. To change both, parse the result of one and call the
// other on that.
func (a *Args) WithBundle(dir string) ([]string, error) {
	if err := a.checkRewrite(); err != nil {
		return nil, fmt.Errorf("--bundle: %w", err)
	}
	out, err := a.withValue(a.bundle, "--bundle", dir)
	if err != nil {
		return nil, fmt.Errorf("--bundle: %w", err)
	}
	return out, nil
}

// checkRewrite makes sure a holds create or run arguments whose
// subcommand sits where Parse found it, so that no index is out of range.
func (a *Args) checkRewrite() error {
	if a.Command != Create && a.Command != Run {
		return fmt.Errorf("subcommand %q: not create or run", a.Command)
	}
	if a.CommandIndex < 0 || a.CommandIndex >= len(a.Argv) || a.Argv[a.CommandIndex] != a.Command {
		return fmt.Errorf("subcommand %q: not at argument %d", a.Command, a.CommandIndex)
	}
	for _, i := range []int{a.bundle.token, a.bundle.value, a.preserveFDs.token, a.preserveFDs.value} {
		if i >= len(a.Argv) {
			return fmt.Errorf("subcommand %q: arguments changed since parsing", a.Command)
		}
	}
	return nil
}

// withValue returns a copy of a.Argv with the value of the flag at p set
// to value, or with flag and value put in after the subcommand: there runc
// reads them first, and they change how nothing after them is read. A
// value standing alone must not look like a flag to runc, before or after:
// runc moves such an argument ahead with the flags, taking the next one as
// its value, so swapping it would change how the rest is read.
func (a *Args) withValue(p position, flag, value string) ([]string, error) {
	alone := !p.set || !p.inline()
	for _, v := range []string{value, a.oldValue(p)} {
		if alone && looksKnown(v, a.knows) {
			return nil, fmt.Errorf("value %q: read by runc as a flag", v)
		}
	}
	out := slices.Clone(a.Argv)
	switch {
	case !p.set:
		i := a.CommandIndex + 1
		return slices.Concat(a.Argv[:i], []string{flag, value}, a.Argv[i:]), nil
	case p.inline():
		out[p.token] = p.spelled + "=" + value
	default:
		out[p.value] = value
	}
	return out, nil
}

// oldValue returns the value argument of the flag at p, or "".
func (a *Args) oldValue(p position) string {
	if !p.set || p.inline() {
		return ""
	}
	return a.Argv[p.value]
}
