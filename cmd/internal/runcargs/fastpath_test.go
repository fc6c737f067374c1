package runcargs

import (
	"testing"

	"github.com/ww-dev/ww/cmd/internal/fastpath"
)

// TestFastPathSubcommand checks fastpath.Subcommand against Parse on
// every command line of the parse tables, and on the forms it must give
// up on: where Parse finds a subcommand without error, the fast path
// finds that one or gives up; it never finds one where Parse refuses the
// global flags.
func TestFastPathSubcommand(t *testing.T) {
	var argvs [][]string
	for _, tables := range [][]parseCase{parseCases, afterCases} {
		for _, tc := range tables {
			argvs = append(argvs, splitArgv(tc.argv))
		}
	}
	for _, tc := range parseErrorCases {
		argvs = append(argvs, splitArgv(tc.argv))
	}
	for _, tc := range afterErrorCases {
		argvs = append(argvs, splitArgv(tc.argv))
	}
	argvs = append(argvs,
		[]string{"--root", "/r", "state", "c"},
		[]string{"--root=/r", "--debug", "kill", "c", "KILL"},
		[]string{"--log-format", "json", "--systemd-cgroup=true", "features"},
		[]string{"--", "state", "c"},
		[]string{"-root", "/r", "start", "c"},
	)
	passes := 0
	for _, argv := range argvs {
		a, err := Parse(argv, cwd)
		checkFastPath(t, argv, a, err)
		if fastpath.PassesThrough(argv) {
			passes++
		}
	}
	if passes == 0 {
		t.Error("the fast path passed none of the command lines through")
	}
	for _, argv := range [][]string{
		{"--root", "/r", "create", "--bundle", "/b", "c"},
		{"run", "c"},
		{"--log", "l", "delete", "--force", "c"},
		{"--unknown", "state", "c"},
		{"--root"},
		{"---root", "/r", "state"},
		{"-=x", "state"},
		{"--"},
		{},
	} {
		if fastpath.PassesThrough(argv) {
			t.Errorf("fastpath.PassesThrough(%q) = true, want false", argv)
		}
	}
	for argv, want := range map[string]string{
		"--root /r state c":             "state",
		"--debug --log=l kill c":        "kill",
		"--rootless false features":     "features",
		"--systemd-cgroup=false ps c":   "ps",
		"-- start c":                    "start",
		"-log l -log-format text pause": "pause",
	} {
		got, ok := fastpath.Subcommand(splitArgv(argv))
		if !ok || got != want || !fastpath.PassesThrough(splitArgv(argv)) {
			t.Errorf("fastpath.Subcommand(%q) = %q, %v; want %q, passed through", argv, got, ok, want)
		}
	}
}
