package runcargs

import (
	"slices"
	"testing"
)

type parseErrorCase struct {
	name    string
	argv    string
	want    string
	differs string // why the real runc 1.1.5 does not refuse argv too
}

var parseErrorCases = []parseErrorCase{
	{name: "preserve-fds x, not a number",
		argv: "create --preserve-fds x id",
		want: `--preserve-fds "x": not a number`},
	{name: "-preserve-fds=1.5, not a number",
		argv: "create -preserve-fds=1.5 id",
		want: `-preserve-fds "1.5": not a number`},
	{name: "preserve-fds past int64, out of range",
		argv: "run --preserve-fds 99999999999999999999 id",
		want: `--preserve-fds "99999999999999999999": out of range`},
	{name: "preserve-fds empty after =, not a number",
		argv: "create --preserve-fds= id",
		want: `--preserve-fds "": not a number`},
	{name: "log-format yaml on state, refused",
		argv: "--log-format yaml state id",
		want: `--log-format "yaml": not text or json`},
	{name: "log-format=yaml on create, refused",
		argv: "--log-format=yaml create id",
		want: `--log-format "yaml": not text or json`},
	{name: "log-format named create, refused",
		argv: "--log-format create create create",
		want: `--log-format "create": not text or json`},
	{name: "rootless maybe on create, refused",
		argv: "--rootless maybe create id",
		want: `--rootless "maybe": not true, false or auto`},
	{name: "root at the end, missing value",
		argv: "--root",
		want: `--root: missing value`},
	{name: "-log at the end, missing value",
		argv: "--root /r -log",
		want: `-log: missing value`},
	{name: "bundle at the end, missing value",
		argv: "create --bundle",
		want: `--bundle: missing value`},
	{name: "pid-file at the end after the ID, taking the ID and missing it",
		argv: "create id --pid-file",
		want: `create: missing container ID`},
	{name: "unknown global flag, refused",
		argv: "--foo create id",
		want: `global flag "--foo": unknown`},
	{name: "subcommand flag before the subcommand, unknown global flag",
		argv: "--bundle /b create id",
		want: `global flag "--bundle": unknown`},
	{name: "three dashes, bad syntax",
		argv: "---root /r create id",
		want: `global flag "---root": bad syntax`},
	{name: "-=x, bad syntax",
		argv: "-=x create id",
		want: `global flag "-=x": bad syntax`},
	{name: "debug=yes, not a boolean",
		argv: "--debug=yes create id",
		want: `--debug "yes": not a boolean`},
	{name: "no-pivot=maybe, not a boolean",
		argv: "create --no-pivot=maybe id",
		want: `--no-pivot "maybe": not a boolean`},
	{name: "unknown create flag, refused",
		argv: "create --foo id",
		want: `create flag "--foo": unknown`},
	{name: "run flag on create, refused",
		argv: "create --detach id",
		want: `create flag "--detach": unknown`},
	{name: "create flag with three dashes, bad syntax",
		argv: "create ---bundle /b id",
		want: `create flag "---bundle": bad syntax`},
	{name: "unknown flag after the ID, an extra argument",
		argv: "create id --foo",
		want: `create: unexpected argument "--foo" after container ID "id"`},
	{name: "-b and --bundle, cannot use both",
		argv: "create -b /a --bundle /b id",
		want: `--bundle: cannot be used with -b`},
	{name: "-d and --detach, cannot use both",
		argv: "run -d --detach=false id",
		want: `--detach: cannot be used with -d`},
	{name: "-h and --help, cannot use both",
		argv: "-h --help create id",
		want: `--help: cannot be used with -h`},
	{name: "no ID, missing",
		argv: "create --bundle /b",
		want: `create: missing container ID`},
	{name: "two IDs, unexpected argument",
		argv: "run --bundle /b id other",
		want: `run: unexpected argument "other" after container ID "id"`},
	{name: "boolean flag then ID then flags, an extra argument as in runc",
		argv: "create --no-pivot id --bundle /b",
		want: `create: unexpected argument "--bundle" after container ID "id"`},
	{name: "flag after --, an extra argument",
		argv: "create -- id --bundle /b",
		want: `create: unexpected argument "--bundle" after container ID "id"`},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range slices.Concat(parseErrorCases, afterErrorCases) {
		t.Run(tc.name, func(t *testing.T) {
			argv := splitArgv(tc.argv)
			a, err := Parse(argv, cwd)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want error %q", argv, a, tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("Parse(%q) error = %q, want %q", argv, err, tc.want)
			}
		})
	}
}
