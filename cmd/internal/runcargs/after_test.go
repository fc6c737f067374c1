package runcargs

import "testing"

// Global flags after the subcommand, as runc main (urfave/cli v3) reads
// them; runc 1.x refuses each create and run row here (TestAgainstRunc),
// runc main reads it alike (TestAgainstRuncMain).

var afterCases = []parseCase{
	{name: "root and bundle after create, both read",
		argv: "create --root /r --bundle /b id",
		want: Args{Root: "/r", Command: "create", CommandIndex: 0, Bundle: "/b", ID: "id"}},
	{name: "log before create and root after it, both read",
		argv: "--log /l create --root /r --bundle /b id",
		want: Args{Log: "/l", Root: "/r", Command: "create", CommandIndex: 2, Bundle: "/b", ID: "id"}},
	{name: "containerd's and CRI-O's = forms after create, read",
		argv: "create --rootless=false --root=/r --log=/l --log-format=json --bundle /b id",
		want: Args{Rootless: "false", Root: "/r", Log: "/l", LogFormat: "json", Command: "create",
			CommandIndex: 0, Bundle: "/b", ID: "id"}},
	{name: "single-dash forms after run, read",
		argv: "run -root /r -log-format json -debug -systemd-cgroup -d id",
		want: Args{Root: "/r", LogFormat: "json", Debug: true, SystemdCgroup: true, Command: "run",
			CommandIndex: 0, Detach: true, Bundle: cwd, ID: "id"}},
	{name: "global flags after the ID, read",
		argv: "create id --root /r --log-format json --preserve-fds 1",
		want: Args{Root: "/r", LogFormat: "json", Command: "create", CommandIndex: 0, Bundle: cwd,
			PreserveFDs: 1, ID: "id"}},
	{name: "log before and after create, the one after counts",
		argv: "--log /a create --log /b id",
		want: Args{Log: "/b", Command: "create", CommandIndex: 2, Bundle: cwd, ID: "id"}},
	{name: "root twice after create, the last counts",
		argv: "-root /a create --root /b id -root=/c",
		want: Args{Root: "/c", Command: "create", CommandIndex: 2, Bundle: cwd, ID: "id"}},
	{name: "log-format yaml before and json after, json counts and is accepted",
		argv: "--log-format yaml create --log-format json id",
		want: Args{LogFormat: "json", Command: "create", CommandIndex: 2, Bundle: cwd, ID: "id"}},
	{name: "rootless maybe before and true after run, true counts and is accepted",
		argv: "--rootless maybe run --rootless true -d id",
		want: Args{Rootless: "true", Command: "run", CommandIndex: 2, Detach: true, Bundle: cwd, ID: "id"}},
	{name: "debug before and debug=false after, off",
		argv: "--debug --systemd-cgroup=false create --debug=false --systemd-cgroup id",
		want: Args{SystemdCgroup: true, Command: "create", CommandIndex: 2, Bundle: cwd, ID: "id"}},
	{name: "root after create --help, help only and root read",
		argv: "create --root /r --help",
		want: Args{Root: "/r", Command: "create", CommandIndex: 0, Bundle: cwd, CommandHelp: true}},
	{name: "-h after global flags after run, help only",
		argv: "--log /a run --log /b -h",
		want: Args{Log: "/b", Command: "run", CommandIndex: 2, Bundle: cwd, CommandHelp: true}},
	{name: "help after the ID of run, help only",
		argv: "run --root /r id --help",
		want: Args{Root: "/r", Command: "run", CommandIndex: 0, Bundle: cwd, CommandHelp: true}},
	{name: "bundle value named --root, taken as the value",
		argv: "create --bundle --root id",
		want: Args{Command: "create", CommandIndex: 0, Bundle: "--root", ID: "id"}},
	{name: "root value named --bundle, taken as the value",
		argv: "create --root --bundle id",
		want: Args{Root: "--bundle", Command: "create", CommandIndex: 0, Bundle: cwd, ID: "id"}},
	{name: "ID --root after --, read as the ID",
		argv: "create --log /l -- --root",
		want: Args{Log: "/l", Command: "create", CommandIndex: 0, Bundle: cwd, ID: "--root"}},
	{name: "features, passed through",
		argv: "features",
		want: Args{Command: "features", CommandIndex: 0}},
	{name: "features with root after it, passed through unread",
		argv: "--log /l features --root /r",
		want: Args{Log: "/l", Command: "features", CommandIndex: 2}},
	{name: "state with bad log-format after it, passed through unread",
		argv: "state --log-format yaml id",
		want: Args{Command: "state", CommandIndex: 0}},
	{name: "spec --rootless, spec's own flag, passed through unread",
		argv: "spec --rootless --bundle /b",
		want: Args{Command: "spec", CommandIndex: 0}},
	{name: "unknown subcommand with global and unknown flags after it, passed through unread",
		argv: "--root /r frobnicate --root /s --whatever --log-format=yaml",
		want: Args{Root: "/r", Command: "frobnicate", CommandIndex: 2}},
}

var afterErrorCases = []parseErrorCase{
	{name: "log-format yaml after create, refused",
		argv: "create --log-format yaml id",
		want: `--log-format "yaml": not text or json`},
	{name: "log-format json before and yaml after, yaml counts and is refused",
		argv: "--log-format json create -log-format=yaml id",
		want: `-log-format "yaml": not text or json`},
	{name: "log-format yaml after create --help, refused as runc 1.x checks it",
		argv: "create --log-format yaml --help",
		want: `--log-format "yaml": not text or json`},
	{name: "rootless true before and maybe after, maybe counts and is refused",
		argv: "--rootless true run --rootless=maybe id",
		want: `--rootless "maybe": not true, false or auto`},
	{name: "debug=yes after create, not a boolean",
		argv: "create --debug=yes id",
		want: `--debug "yes": not a boolean`},
	{name: "systemd-cgroup=2 after the ID, not a boolean",
		argv: "run id --systemd-cgroup=2",
		want: `--systemd-cgroup "2": not a boolean`},
	{name: "root at the end after the ID, taking the ID and missing it",
		argv: "create id --root",
		want: `create: missing container ID`},
	{name: "debug= after create, not a boolean as in runc 1.x",
		argv: "create --debug= id",
		want: `--debug "": not a boolean`},
	{name: "create --help with an unknown flag, unknown as in runc 1.x",
		argv: "create --help --foo",
		want: `create flag "--foo": unknown`},
	{name: "criu after create, unknown as runc main has none",
		argv: "create --criu /c id",
		want: `create flag "--criu": unknown`},
	{name: "-v after run, unknown",
		argv: "run -v id",
		want: `run flag "-v": unknown`},
	{name: "--version after create, unknown",
		argv: "create --version id",
		want: `create flag "--version": unknown`},
	{name: "root with three dashes after create, bad syntax",
		argv: "create ---root /r id",
		want: `create flag "---root": bad syntax`},
	{name: "bad log-format before and unknown create flag, log-format refused first",
		argv: "--log-format yaml create --foo id",
		want: `--log-format "yaml": not text or json`},
	{name: "good log-format before, bad after, unknown create flag, the flag refused",
		argv: "--log-format json create --log-format yaml --foo id",
		want: `create flag "--foo": unknown`},
	{name: "global flag after the ID after a boolean flag, an extra argument as in runc 1.x",
		argv: "create --no-pivot id --root /r",
		want: `create: unexpected argument "--root" after container ID "id"`},
}

// laterSettings returns the global flags that Parse read after the
// subcommand of a create or run, reading its arguments again.
func laterSettings(t *testing.T, a *Args) []setting {
	t.Helper()
	if a.Command != Create && a.Command != Run || a.Help || a.Version {
		return nil
	}
	order := reorder(a.Argv, a.CommandIndex+1, a.knows)
	found, _, err := scanFlags(a.Argv, order, a.Command, a.lookup)
	if err != nil {
		t.Fatalf("reading %q again: %v", a.Argv, err)
	}
	var later []setting
	for _, s := range found {
		if _, ok := laterGlobalFlag(s.name); ok {
			later = append(later, s)
		}
	}
	return later
}
