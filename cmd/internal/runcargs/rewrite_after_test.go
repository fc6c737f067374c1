package runcargs

import (
	"slices"
	"testing"
)

// Rewrites of argv with global flags after the subcommand, as runc main
// takes them: the flags stay where they are, and read as before.
func TestRewriteGlobalsAfter(t *testing.T) {
	count := func(n int) func(*Args) ([]string, error) {
		return func(a *Args) ([]string, error) { return a.WithPreserveFDs(n) }
	}
	bundle := func(dir string) func(*Args) ([]string, error) {
		return func(a *Args) ([]string, error) { return a.WithBundle(dir) }
	}
	for _, tc := range []struct {
		name    string
		argv    string
		rewrite func(*Args) ([]string, error)
		want    string
	}{
		{name: "root after create, count inserted after create",
			argv: "create --root /r --bundle /b id", rewrite: count(2),
			want: "create --preserve-fds 2 --root /r --bundle /b id"},
		{name: "global flags around the count after the ID, count replaced in place",
			argv: "--log /a run id --log /b --preserve-fds 1 --root=/r", rewrite: count(3),
			want: "--log /a run id --log /b --preserve-fds 3 --root=/r"},
		{name: "root value named --preserve-fds, count inserted after create",
			argv: "create --root --preserve-fds id", rewrite: count(1),
			want: "create --preserve-fds 1 --root --preserve-fds id"},
		{name: "no bundle, global flags after run, bundle inserted after run",
			argv: "run --log-format=json -d id", rewrite: bundle("/copy"),
			want: "run --bundle /copy --log-format=json -d id"},
		{name: "-b after root, bundle replaced in place",
			argv: "create --root /r -b /b id", rewrite: bundle("/copy"),
			want: "create --root /r -b /copy id"},
		{name: "bundle= after the ID and debug, replaced in the same form",
			argv: "create id --debug --bundle=/b", rewrite: bundle("/copy"),
			want: "create id --debug --bundle=/copy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Parse(splitArgv(tc.argv), cwd)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tc.rewrite(a)
			if err != nil {
				t.Fatalf("rewrite: %v", err)
			}
			if want := splitArgv(tc.want); !slices.Equal(got, want) {
				t.Errorf("rewrite\n got %q\nwant %q", got, want)
			}
			b, err := Parse(got, cwd)
			if err != nil {
				t.Fatalf("Parse(%q): %v", got, err)
			}
			if b.Root != a.Root || b.Log != a.Log || b.LogFormat != a.LogFormat || b.Debug != a.Debug {
				t.Errorf("Parse(%q) = root %q, log %q, format %q, debug %v; want %q, %q, %q, %v",
					got, b.Root, b.Log, b.LogFormat, b.Debug, a.Root, a.Log, a.LogFormat, a.Debug)
			}
		})
	}
}

func TestRewriteErrorsGlobalsAfter(t *testing.T) {
	for _, tc := range []struct {
		name, argv, dir, want string
	}{
		{"new bundle named like a global flag, refused",
			"create id", "--log", `--bundle: value "--log": read by runc as a flag`},
		{"new bundle like a single-dash global flag with =, refused",
			"run -d id", "-root=/x", `--bundle: value "-root=/x": read by runc as a flag`},
		{"bundle value named --root, refused",
			"create --bundle --root id", "/b", `--bundle: value "--root": read by runc as a flag`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Parse(splitArgv(tc.argv), cwd)
			if err != nil {
				t.Fatal(err)
			}
			got, err := a.WithBundle(tc.dir)
			if err == nil {
				t.Fatalf("WithBundle(%q) = %q, want error %q", tc.dir, got, tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("WithBundle(%q) error = %q, want %q", tc.dir, err, tc.want)
			}
		})
	}
}
