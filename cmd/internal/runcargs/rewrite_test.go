package runcargs

import (
	"slices"
	"testing"
)

func TestWithPreserveFDs(t *testing.T) {
	for _, tc := range []struct {
		name string
		argv string
		n    int
		want string
	}{
		{name: "containerd argv without the flag, inserted after create",
			argv: "--root /r --log /l --log-format json create --bundle /b --pid-file /p id", n: 2,
			want: "--root /r --log /l --log-format json create --preserve-fds 2 --bundle /b --pid-file /p id"},
		{name: "podman argv with the flag, value replaced in place",
			argv: "--root /r create --bundle /b --preserve-fds 2 --console-socket /s id", n: 5,
			want: "--root /r create --bundle /b --preserve-fds 5 --console-socket /s id"},
		{name: "= form, replaced in the same form",
			argv: "create --preserve-fds=1 id", n: 4,
			want: "create --preserve-fds=4 id"},
		{name: "single-dash = form, replaced in the same form",
			argv: "run -preserve-fds=1 -d id", n: 4,
			want: "run -preserve-fds=4 -d id"},
		{name: "same count written in hex, unchanged",
			argv: "create --preserve-fds 0x2 id", n: 2,
			want: "create --preserve-fds 0x2 id"},
		{name: "flag after the ID, replaced where it stands",
			argv: "create id --preserve-fds 1", n: 3,
			want: "create id --preserve-fds 3"},
		{name: "flag given twice, the counting last one replaced",
			argv: "create --preserve-fds 1 --preserve-fds=2 id", n: 3,
			want: "create --preserve-fds 1 --preserve-fds=3 id"},
		{name: "negative count replaced by zero, zero written",
			argv: "create --preserve-fds -1 id", n: 0,
			want: "create --preserve-fds 0 id"},
		{name: "root, subcommand and bundle named create, inserted after the subcommand",
			argv: "--root create create --bundle create id", n: 1,
			want: "--root create create --preserve-fds 1 --bundle create id"},
		{name: "-- before the subcommand, inserted after the subcommand",
			argv: "--root /r -- run id", n: 1,
			want: "--root /r -- run --preserve-fds 1 id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Parse(splitArgv(tc.argv), cwd)
			if err != nil {
				t.Fatal(err)
			}
			got, err := a.WithPreserveFDs(tc.n)
			if err != nil {
				t.Fatalf("WithPreserveFDs(%d): %v", tc.n, err)
			}
			if want := splitArgv(tc.want); !slices.Equal(got, want) {
				t.Errorf("WithPreserveFDs(%d)\n got %q\nwant %q", tc.n, got, want)
			}
			again, err := Parse(got, cwd)
			if err != nil {
				t.Fatalf("Parse(%q): %v", got, err)
			}
			if again.PreserveFDs != tc.n || again.ID != a.ID || again.Bundle != a.Bundle {
				t.Errorf("Parse(%q) = count %d, ID %q, bundle %q; want %d, %q, %q",
					got, again.PreserveFDs, again.ID, again.Bundle, tc.n, a.ID, a.Bundle)
			}
		})
	}
}

func TestWithBundle(t *testing.T) {
	for _, tc := range []struct {
		name string
		argv string
		dir  string
		want string
	}{
		{name: "no bundle, inserted after create",
			argv: "--root /r create --pid-file /p id", dir: "/copy",
			want: "--root /r create --bundle /copy --pid-file /p id"},
		{name: "-b value, replaced in place",
			argv: "run -b /b -d id", dir: "/copy",
			want: "run -b /copy -d id"},
		{name: "--bundle= form, replaced in the same form",
			argv: "create --bundle=/b id", dir: "/copy",
			want: "create --bundle=/copy id"},
		{name: "dir that looks like a flag in the = form, replaced",
			argv: "create --bundle=/b id", dir: "-b",
			want: "create --bundle=-b id"},
		{name: "bundle named create, replaced in place",
			argv: "--root create create --bundle create id", dir: "/copy",
			want: "--root create create --bundle /copy id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Parse(splitArgv(tc.argv), cwd)
			if err != nil {
				t.Fatal(err)
			}
			got, err := a.WithBundle(tc.dir)
			if err != nil {
				t.Fatalf("WithBundle(%q): %v", tc.dir, err)
			}
			if want := splitArgv(tc.want); !slices.Equal(got, want) {
				t.Errorf("WithBundle(%q)\n got %q\nwant %q", tc.dir, got, want)
			}
		})
	}
}

func TestWithBundleThenPreserveFDs(t *testing.T) {
	a, err := Parse(splitArgv("--root /r create --pid-file /p id"), cwd)
	if err != nil {
		t.Fatal(err)
	}
	argv, err := a.WithBundle("/copy")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse(argv, cwd)
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.WithPreserveFDs(3)
	if err != nil {
		t.Fatal(err)
	}
	want := splitArgv("--root /r create --preserve-fds 3 --bundle /copy --pid-file /p id")
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRewriteErrors(t *testing.T) {
	parse := func(s string) *Args {
		t.Helper()
		a, err := Parse(splitArgv(s), cwd)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for _, tc := range []struct {
		name    string
		rewrite func() ([]string, error)
		want    string
	}{
		{"preserve-fds on state, refused",
			func() ([]string, error) { return parse("state id").WithPreserveFDs(1) },
			`--preserve-fds: subcommand "state": not create or run`},
		{"preserve-fds on exec, refused",
			func() ([]string, error) { return parse("exec --preserve-fds 1 id sh").WithPreserveFDs(2) },
			`--preserve-fds: subcommand "exec": not create or run`},
		{"negative preserve-fds, refused",
			func() ([]string, error) { return parse("create id").WithPreserveFDs(-1) },
			`--preserve-fds "-1": negative`},
		{"bundle value that looks like a flag, refused",
			func() ([]string, error) { return parse("create --bundle --pid-file id").WithBundle("/b") },
			`--bundle: value "--pid-file": read by runc as a flag`},
		{"new bundle that looks like a flag, refused",
			func() ([]string, error) { return parse("run id").WithBundle("-d") },
			`--bundle: value "-d": read by runc as a flag`},
		{"bundle with no subcommand, refused",
			func() ([]string, error) { return parse("--root /r").WithBundle("/b") },
			`--bundle: subcommand "": not create or run`},
		{"bundle on Args not from Parse, refused",
			func() ([]string, error) { return (&Args{Command: "create"}).WithBundle("/b") },
			`--bundle: subcommand "create": not at argument 0`},
		{"preserve-fds after Argv was cut short, refused",
			func() ([]string, error) {
				a := parse("create --bundle /b --preserve-fds 1 id")
				a.Argv = a.Argv[:2]
				return a.WithPreserveFDs(2)
			},
			`--preserve-fds: subcommand "create": arguments changed since parsing`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.rewrite()
			if err == nil {
				t.Fatalf("got %q, want error %q", got, tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("error = %q, want %q", err, tc.want)
			}
		})
	}
}
