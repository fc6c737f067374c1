package runcargs

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ww-dev/ww/cmd/internal/fastpath"
)

// FuzzParse takes argv as arguments joined by newlines. Parse must not
// panic; on create and run, rewriting --preserve-fds to the count already
// given must leave argv as it is, and rewriting it to another count must
// change that one argument, or add two after the subcommand, and nothing
// that Parse reads besides; rewriting the bundle likewise. Global flags
// read after the subcommand must read the same when moved before it.
// Wherever the fast path (fastpath.Subcommand) finds a subcommand, Parse
// finds the same one or refuses argv, so that what the fast path passes
// through the full path would pass through too.
func FuzzParse(f *testing.F) {
	for _, tc := range slices.Concat(parseCases, afterCases) {
		f.Add(strings.Join(splitArgv(tc.argv), "\n"))
	}
	for _, tc := range slices.Concat(parseErrorCases, afterErrorCases) {
		f.Add(strings.Join(splitArgv(tc.argv), "\n"))
	}
	f.Fuzz(func(t *testing.T, joined string) {
		var argv []string
		if joined != "" {
			argv = strings.Split(joined, "\n")
		}
		a, err := Parse(argv, cwd)
		checkFastPath(t, argv, a, err)
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
		checkGlobalsMoved(t, a)
	})
}

// checkFastPath checks the fast path's reading of argv against Parse's.
func checkFastPath(t *testing.T, argv []string, a *Args, err error) {
	t.Helper()
	g, ok := fastpath.ReadGlobal(argv)
	if ok && err == nil {
		// create and run also read global flags after the subcommand,
		// which the fast path leaves to the full path.
		root := a.Root
		if a.Command == Create || a.Command == Run {
			root = g.Root
		}
		if a.Command != g.Command || root != g.Root || !slices.Equal(a.CommandArgs, g.Rest) {
			t.Fatalf("fastpath.ReadGlobal(%q) = %+v, Parse found command %q, root %q, arguments %q", argv, g, a.Command, a.Root, a.CommandArgs)
		}
		if (a.Help || a.Version) && !g.HelpOrVersion {
			t.Fatalf("fastpath.ReadGlobal(%q) saw no help or version flag, Parse did", argv)
		}
	}
	if fastpath.PassesThrough(argv) && err == nil && (a.Creates() || a.Command == "delete") {
		t.Fatalf("fastpath passes %q through, which Parse reads as %s", argv, a.Command)
	}
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
	want := reading(a)
	want.Bundle = "/copy"
	if got := reading(b); !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse(%q) after WithBundle on %q\n got %+v\nwant %+v", out, a.Argv, got, want)
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
	want := reading(a)
	want.PreserveFDs = n
	if got := reading(b); !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse(%q) after WithPreserveFDs(%d) on %q\n got %+v\nwant %+v", out, n, a.Argv, got, want)
	}
}

// checkGlobalsMoved checks that the global flags Parse read after the
// subcommand read the same when written before it instead, as runc 1.x
// reads them: last among the flags there, as the last one counts. Not
// for help only: create --help is not read past its first other argument
// (runc's own reordering of the flags ahead of it being kept), so what is
// left unread can change when flags are taken out of create's arguments.
func checkGlobalsMoved(t *testing.T, a *Args) {
	t.Helper()
	later := laterSettings(t, a)
	if len(later) == 0 || !a.Creates() {
		return
	}
	before, _, err := scanFlags(a.Argv, indices(0, a.CommandIndex), "global", globalFlag)
	if err != nil {
		t.Fatalf("reading %q again: %v", a.Argv, err)
	}
	end := 0 // just after the global flags, before any "--" that ends them
	for _, s := range before {
		end = max(end, s.token+1, s.value+1)
	}
	var moved []string
	taken := make(map[int]bool)
	for _, s := range later {
		at := []int{s.token}
		if !s.inline() {
			at = append(at, s.value)
		}
		for _, i := range at {
			moved = append(moved, a.Argv[i])
			taken[i] = true
		}
	}
	out := slices.Concat(a.Argv[:end], moved)
	for i := end; i < len(a.Argv); i++ {
		if !taken[i] {
			out = append(out, a.Argv[i])
		}
	}
	b, err := Parse(out, cwd)
	if err != nil {
		t.Fatalf("Parse(%q), %q with its global flags moved before the subcommand: %v", out, a.Argv, err)
	}
	if got, want := reading(b), reading(a); !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse(%q), %q with its global flags moved before the subcommand\n got %+v\nwant %+v",
			out, a.Argv, got, want)
	}
}

// reading returns what Parse read in a, without where it was written.
func reading(a *Args) Args {
	r := *a
	r.Argv, r.Global, r.CommandArgs, r.CommandIndex = nil, nil, nil, 0
	r.bundle, r.preserveFDs = position{}, position{}
	return r
}
