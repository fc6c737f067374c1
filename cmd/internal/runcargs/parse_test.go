package runcargs

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

const cwd = "/work/cwd"

// Paths as containerd's runc shim (go-runc) passes them.
const (
	ctrRoot   = "/run/containerd/runc/k8s.io"
	ctrTask   = "/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc123"
	ctrLog    = ctrTask + "/log.json"
	ctrPID    = ctrTask + "/init.pid"
	ctrSocket = "/tmp/pty1234/pty.sock"
)

type parseCase struct {
	name string
	argv string // split on spaces; "''" stands for an empty argument
	want Args   // Argv, Global and CommandArgs are filled in from CommandIndex
	// differs says why the real runc (1.1.5 on these machines) does not
	// agree, for the test against it.
	differs string
}

var parseCases = []parseCase{
	{name: "containerd shim create, all read",
		argv: "--root " + ctrRoot + " --log " + ctrLog + " --log-format json create --bundle " + ctrTask + " --pid-file " + ctrPID + " abc123",
		want: Args{Root: ctrRoot, Log: ctrLog, LogFormat: "json", Command: "create", CommandIndex: 6,
			Bundle: ctrTask, PIDFile: ctrPID, ID: "abc123"}},
	{name: "containerd shim create with console socket, all read",
		argv: "--root " + ctrRoot + " --log " + ctrLog + " --log-format json create --bundle " + ctrTask + " --console-socket " + ctrSocket + " --pid-file " + ctrPID + " abc123",
		want: Args{Root: ctrRoot, Log: ctrLog, LogFormat: "json", Command: "create", CommandIndex: 6,
			Bundle: ctrTask, ConsoleSocket: ctrSocket, PIDFile: ctrPID, ID: "abc123"}},
	{name: "go-runc with systemd cgroup, rootless= and preserve-fds, all read",
		argv: "--root /r --log /l --log-format json --systemd-cgroup --rootless=false create --bundle /b --pid-file /p --no-pivot --no-new-keyring --preserve-fds 2 id",
		want: Args{Root: "/r", Log: "/l", LogFormat: "json", SystemdCgroup: true, Rootless: "false",
			Command: "create", CommandIndex: 8, Bundle: "/b", PIDFile: "/p", NoPivot: true,
			NoNewKeyring: true, PreserveFDs: 2, ID: "id"}},
	{name: "podman through conmon, all read",
		argv: "--systemd-cgroup --root /run/runc --log-format=json --log /run/ctr/oci-log create --bundle /b --pid-file /p --no-new-keyring --preserve-fds 2 --console-socket /s id",
		want: Args{SystemdCgroup: true, Root: "/run/runc", LogFormat: "json", Log: "/run/ctr/oci-log",
			Command: "create", CommandIndex: 6, Bundle: "/b", PIDFile: "/p", NoNewKeyring: true,
			PreserveFDs: 2, ConsoleSocket: "/s", ID: "id"}},
	{name: "= forms, values read",
		argv: "--root=/r --log=/l --log-format=text create --bundle=/b --pid-file=/p --console-socket=/s --preserve-fds=3 id",
		want: Args{Root: "/r", Log: "/l", LogFormat: "text", Command: "create", CommandIndex: 3,
			Bundle: "/b", PIDFile: "/p", ConsoleSocket: "/s", PreserveFDs: 3, ID: "id"}},
	{name: "single-dash long forms, values read",
		argv: "-root /r -log-format json -debug create -bundle /b -preserve-fds 1 -pid-file=/p id",
		want: Args{Root: "/r", LogFormat: "json", Debug: true, Command: "create", CommandIndex: 5,
			Bundle: "/b", PreserveFDs: 1, PIDFile: "/p", ID: "id"}},
	{name: "-b, bundle read",
		argv: "create -b /b id",
		want: Args{Command: "create", CommandIndex: 0, Bundle: "/b", ID: "id"}},
	{name: "-b=, bundle read",
		argv: "create -b=/b id",
		want: Args{Command: "create", CommandIndex: 0, Bundle: "/b", ID: "id"}},
	{name: "no bundle, working directory",
		argv: "create id",
		want: Args{Command: "create", CommandIndex: 0, Bundle: cwd, ID: "id"}},
	{name: "empty bundle, working directory",
		argv: "create --bundle '' id",
		want: Args{Command: "create", CommandIndex: 0, Bundle: cwd, ID: "id"}},
	{name: "relative bundle, kept relative",
		argv: "create --bundle rel/b id",
		want: Args{Command: "create", CommandIndex: 0, Bundle: "rel/b", ID: "id"}},
	{name: "root, subcommand and bundle all named create, told apart",
		argv: "--root create create --bundle create id",
		want: Args{Root: "create", Command: "create", CommandIndex: 2, Bundle: "create", ID: "id"}},
	{name: "pid file and ID named create, told apart",
		argv: "create --pid-file create create",
		want: Args{Command: "create", CommandIndex: 0, Bundle: cwd, PIDFile: "create", ID: "create"}},
	{name: "-- before the subcommand, subcommand found",
		argv: "--root /r -- create --bundle /b id",
		want: Args{Root: "/r", Command: "create", CommandIndex: 3, Bundle: "/b", ID: "id"}},
	{name: "-- before the ID, ID read",
		argv: "create --bundle /b -- id",
		want: Args{Command: "create", CommandIndex: 0, Bundle: "/b", ID: "id"}},
	{name: "-- before an ID starting with -, ID read",
		argv: "create -- -id",
		want: Args{Command: "create", CommandIndex: 0, Bundle: cwd, ID: "-id"}},
	{name: "flags after the ID, moved ahead as runc does",
		argv: "create id --bundle /b --preserve-fds 2",
		want: Args{Command: "create", CommandIndex: 0, Bundle: "/b", PreserveFDs: 2, ID: "id"}},
	{name: "bundle value that looks like a flag, taken as the value",
		argv: "create --bundle --pid-file id",
		want: Args{Command: "create", CommandIndex: 0, Bundle: "--pid-file", ID: "id"}},
	{name: "bundle value -- after the ID, taken as the value",
		argv: "create id --bundle --",
		want: Args{Command: "create", CommandIndex: 0, Bundle: "--", ID: "id"}},
	{name: "bundle given twice under one name, last one counts",
		argv: "create --bundle /a --bundle /b id",
		want: Args{Command: "create", CommandIndex: 0, Bundle: "/b", ID: "id"}},
	{name: "run with its own flags, all read",
		argv: "run -d --keep --no-subreaper --bundle /b id",
		want: Args{Command: "run", CommandIndex: 0, Detach: true, Keep: true, NoSubreaper: true,
			Bundle: "/b", ID: "id"}},
	{name: "booleans with = values, read",
		argv: "--debug=false --systemd-cgroup=1 run --no-pivot=true --no-new-keyring=F --detach=false id",
		want: Args{SystemdCgroup: true, Command: "run", CommandIndex: 2, NoPivot: true, Bundle: cwd, ID: "id"}},
	{name: "preserve-fds in hex, read as runc does",
		argv: "create --preserve-fds 0x10 id",
		want: Args{Command: "create", CommandIndex: 0, Bundle: cwd, PreserveFDs: 16, ID: "id"}},
	{name: "negative preserve-fds, kept",
		argv: "create --preserve-fds -1 id",
		want: Args{Command: "create", CommandIndex: 0, Bundle: cwd, PreserveFDs: -1, ID: "id"}},
	{name: "pidfd socket, read",
		argv:    "create --pidfd-socket /s id",
		want:    Args{Command: "create", CommandIndex: 0, Bundle: cwd, PIDFDSocket: "/s", ID: "id"},
		differs: "runc 1.1 has no --pidfd-socket"},
	{name: "criu, read",
		argv: "--criu /usr/sbin/criu create id",
		want: Args{Criu: "/usr/sbin/criu", Command: "create", CommandIndex: 2, Bundle: cwd, ID: "id"}},
	{name: "rootless auto in capitals, accepted",
		argv: "--rootless AUTO create id",
		want: Args{Rootless: "AUTO", Command: "create", CommandIndex: 2, Bundle: cwd, ID: "id"}},
	{name: "global --help, help only and values unchecked",
		argv: "--log-format yaml --help create --bundle /b id",
		want: Args{LogFormat: "yaml", Help: true, Command: "create", CommandIndex: 3}},
	{name: "global -v, version only",
		argv: "-v create id",
		want: Args{Version: true, Command: "create", CommandIndex: 1}},
	{name: "create --help without ID, help only",
		argv: "create --help",
		want: Args{Command: "create", CommandIndex: 0, Bundle: cwd, CommandHelp: true}},
	{name: "create -h with bundle, help only",
		argv: "create -h --bundle /b",
		want: Args{Command: "create", CommandIndex: 0, Bundle: "/b", CommandHelp: true}},
	{name: "state, passed through",
		argv: "--root /r state id",
		want: Args{Root: "/r", Command: "state", CommandIndex: 2}},
	{name: "kill with signal, passed through",
		argv: "--root /r kill id 9",
		want: Args{Root: "/r", Command: "kill", CommandIndex: 2}},
	{name: "delete --force, passed through",
		argv: "--root /r delete --force id",
		want: Args{Root: "/r", Command: "delete", CommandIndex: 2}},
	{name: "exec with process file and detach, passed through",
		argv: "--root /r --log /l --log-format json exec --process /tmp/p.json --detach --pid-file /p id",
		want: Args{Root: "/r", Log: "/l", LogFormat: "json", Command: "exec", CommandIndex: 6}},
	{name: "exec with bad preserve-fds, passed through unread",
		argv: "exec --preserve-fds x id sh",
		want: Args{Command: "exec", CommandIndex: 0}},
	{name: "unknown subcommand with unknown flags, passed through",
		argv: "frobnicate --whatever -x create",
		want: Args{Command: "frobnicate", CommandIndex: 0}},
	{name: "bad rootless on state, passed through as runc ignores it",
		argv: "--rootless maybe state id",
		want: Args{Rootless: "maybe", Command: "state", CommandIndex: 2}},
	{name: "help subcommand, passed through",
		argv: "help create",
		want: Args{Command: "help", CommandIndex: 0}},
	{name: "- as subcommand, passed through",
		argv: "- id",
		want: Args{Command: "-", CommandIndex: 0}},
	{name: "no arguments, no subcommand",
		argv: "",
		want: Args{CommandIndex: -1}},
	{name: "global flags and -- only, no subcommand",
		argv: "--root /r --",
		want: Args{Root: "/r", CommandIndex: -1}},
}

// splitArgv splits a test argv on spaces; an argument of two single
// quotes stands for the empty one.
func splitArgv(s string) []string {
	argv := strings.Fields(s)
	for i, a := range argv {
		if a == "''" {
			argv[i] = ""
		}
	}
	return argv
}

func TestParse(t *testing.T) {
	for _, tc := range slices.Concat(parseCases, afterCases) {
		t.Run(tc.name, func(t *testing.T) {
			argv := splitArgv(tc.argv)
			got, err := Parse(argv, cwd)
			if err != nil {
				t.Fatalf("Parse(%q): %v", argv, err)
			}
			want := tc.want
			want.Argv = slices.Clone(argv)
			want.Global = want.Argv
			if i := want.CommandIndex; i >= 0 {
				want.Global, want.CommandArgs = want.Argv[:i], want.Argv[i+1:]
			}
			got.bundle, got.preserveFDs = position{}, position{}
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", argv, *got, want)
			}
		})
	}
}

func TestParseKeepsItsOwnCopy(t *testing.T) {
	argv := []string{"create", "--bundle", "/b", "id"}
	a, err := Parse(argv, cwd)
	if err != nil {
		t.Fatal(err)
	}
	argv[2] = "/changed"
	if a.Argv[2] != "/b" || a.CommandArgs[1] != "/b" {
		t.Errorf("Argv = %q, CommandArgs = %q: changed with the caller's slice", a.Argv, a.CommandArgs)
	}
}

func TestCreates(t *testing.T) {
	for _, tc := range []struct {
		name string
		argv string
		want bool
	}{
		{"create, true", "create id", true},
		{"run, true", "run -d id", true},
		{"create --help, false", "create --help", false},
		{"global --help before create, false", "--help create id", false},
		{"global --version before run, false", "--version run id", false},
		{"global --help=false before create, true", "--help=false create id", true},
		{"state, false", "state id", false},
		{"no subcommand, false", "--root /r", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Parse(splitArgv(tc.argv), cwd)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Creates(); got != tc.want {
				t.Errorf("Creates() = %v, want %v", got, tc.want)
			}
		})
	}
}
