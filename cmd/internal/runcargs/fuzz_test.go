package runcargs

import (
	"slices"
	"strings"
	"testing"
)

// FuzzParse takes argv as arguments joined by newlines. Parse must not
// panic; on create and run, rewriting --preserve-fds to the count already
// given must leave argv as it is, and rewriting it to another count must
// change that one argument, or add two after the subcommand, and nothing
// that Parse reads besides; rewriting the bundle likewise.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add(strings.Join(splitArgv(tc.argv), "\n"))
	}
	for _, tc := range parseErrorCases {
		f.Add(strings.Join(splitArgv(tc.argv), "\n"))
	}
	f.Fuzz(func(t *testing.T, joined string) {
		var argv []string
		if joined != "" {
			argv = strings.Split(joined, "\n")
		}
		a, err := Parse(argv, cwd)
		if err != nil || (a.Command != Create && a.Command != Run) || a.Help || a.Version {
			return
		}
		if a.preserveFDs.set && a.PreserveFDs >= 0 {
			same, err := a.WithPreserveFDs(a.PreserveFDs)
			if err != nil {
				t.Fatalf("WithPreserveFDs(%d) on %q: %v", a.PreserveFDs, argv, err)
			}
			if !slices.Equal(same, argv) {
				t.Fatalf("WithPreserveFDs(%d) on %q = %q, want argv unchanged", a.PreserveFDs, argv, same)
			}
		}
		n := max(a.PreserveFDs, 0) + 7
		out, err := a.WithPreserveFDs(n)
		if err != nil {
			t.Fatalf("WithPreserveFDs(%d) on %q: %v", n, argv, err)
		}
		checkOnlyCountChanged(t, a, out, n)
		checkBundleRewrite(t, a)
	})
}

// checkBundleRewrite checks that WithBundle changes the bundle Parse
// reads and not the container ID, unless it refuses a value that runc
// would read as a flag.
func checkBundleRewrite(t *testing.T, a *Args) {
	t.Helper()
	out, err := a.WithBundle("/copy")
	if err != nil && a.bundle.set && !a.bundle.inline() && looksKnown(a.Argv[a.bundle.value], a.knows) {
		return // refused on purpose: see withValue
	}
	if err != nil {
		t.Fatalf("WithBundle on %q: %v", a.Argv, err)
	}
	b, err := Parse(out, cwd)
	if err != nil {
		t.Fatalf("Parse(%q) after WithBundle on %q: %v", out, a.Argv, err)
	}
	if b.Bundle != "/copy" || b.ID != a.ID || b.PreserveFDs != a.PreserveFDs {
		t.Fatalf("Parse(%q) after WithBundle on %q = bundle %q, ID %q, count %d; want /copy, %q, %d",
			out, a.Argv, b.Bundle, b.ID, b.PreserveFDs, a.ID, a.PreserveFDs)
	}
}

// checkOnlyCountChanged checks out against a.Argv and parses it again.
func checkOnlyCountChanged(t *testing.T, a *Args, out []string, n int) {
	t.Helper()
	var changed int
	switch {
	case a.preserveFDs.set && len(out) == len(a.Argv):
		for i := range out {
			if out[i] != a.Argv[i] {
				changed++
			}
		}
	case !a.preserveFDs.set && len(out) == len(a.Argv)+2:
		i := a.CommandIndex + 1
		if !slices.Equal(slices.Concat(out[:i], out[i+2:]), a.Argv) {
			changed = 2
		}
	default:
		changed = 2
	}
	if changed > 1 {
		t.Fatalf("WithPreserveFDs(%d) on %q = %q: more than the count changed", n, a.Argv, out)
	}
	b, err := Parse(out, cwd)
	if err != nil {
		t.Fatalf("Parse(%q) after WithPreserveFDs(%d) on %q: %v", out, n, a.Argv, err)
	}
	want := *a
	want.PreserveFDs = n
	if b.PreserveFDs != n || b.ID != want.ID || b.Bundle != want.Bundle || b.Root != want.Root ||
		b.Command != want.Command || b.CommandHelp != want.CommandHelp || b.PIDFile != want.PIDFile {
		t.Fatalf("Parse(%q) after WithPreserveFDs(%d) on %q = %+v, want %+v", out, n, a.Argv, *b, want)
	}
}
