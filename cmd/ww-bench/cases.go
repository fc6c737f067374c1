package main

import (
	"fmt"
	"os"
	"strings"
)

// benchCase is one command line the driver times.
type benchCase struct {
	name string
	argv []string // argv[0] is a path: nothing is looked up in PATH
	// fds is how many copies of /dev/null the command gets, at 3, 4, ….
	fds int
	// trigger, when set, is a connection the command waits for.
	trigger *trigger
	// env are variables the command gets besides the driver's own.
	env []string
	// before, when set, runs untimed before each run (the create of the
	// container a delete removes, say); it must end with status 0.
	before []string
}

// comparison is the ratio of two cases' medians, num/den, and the most it
// should be; a target of 0 means the ratio is only reported.
type comparison struct {
	name     string
	num, den string
	target   float64
	// cpu compares the CPU time (user and system) of the process trees
	// the driver waited for, instead of the wall time: of a container run
	// on a busy machine, the wall time is mostly other processes' turns.
	cpu bool
	// skip, when set, returns why the comparison cannot run here, or "".
	skip func(r *runner) string
}

// tools are the programs the cases run.
type tools struct {
	ww, launcher, trueBin, socketActivate string
	// activatePort is the port given to systemd-socket-activate, which
	// does not take port 0.
	activatePort int
}

// table returns the cases and the comparisons made of them. To add a case,
// add it here and name it in a comparison: only cases that some comparison
// uses are run.
func table(t tools) ([]benchCase, []comparison) {
	ww := func(args ...string) []string {
		return append(append([]string{t.ww, "run"}, args...), "--", t.trueBin)
	}
	cases := []benchCase{
		{name: "true", argv: []string{t.trueBin}},
		{name: "true 1000 fds", argv: []string{t.trueBin}, fds: 1000},
		{name: "launcher", argv: []string{t.launcher, t.trueBin}},
		{name: "ww x=0", argv: ww("--with-fd", "x=0")},
		{name: "ww 1 fd", argv: ww(withFDs(1)...), fds: 1},
		{name: "ww 100 fds", argv: ww(withFDs(100)...), fds: 100},
		{name: "ww 1000 fds", argv: ww(withFDs(1000)...), fds: 1000},
		{name: "ww --systemd", argv: ww("--systemd", "--with-fd", "http=listen:tcp:127.0.0.1:0")},
		{
			name:    "socket-activate",
			argv:    []string{t.socketActivate, "-l", fmt.Sprintf("127.0.0.1:%d", t.activatePort), t.trueBin},
			trigger: &trigger{port: t.activatePort, ready: "Listening on"},
		},
	}
	comparisons := []comparison{
		{name: "launcher / true", num: "launcher", den: "true"},
		{name: "true 1000 fds / true", num: "true 1000 fds", den: "true"},
		{name: "ww x=0 / launcher", num: "ww x=0", den: "launcher", target: 1.10},
		{name: "ww 100 fds / ww 1 fd", num: "ww 100 fds", den: "ww 1 fd"},
		{name: "ww 1000 fds / ww 1 fd", num: "ww 1000 fds", den: "ww 1 fd", target: 2.0},
		{
			name: "ww --systemd / socket-activate", num: "ww --systemd", den: "socket-activate", target: 1.0,
			skip: func(r *runner) string { return systemdSkip(r, t, cases) },
		},
	}
	return cases, comparisons
}

// withFDs returns --with-fd f0=3 --with-fd f1=4 … for n fds.
func withFDs(n int) []string {
	args := make([]string, 0, 2*n)
	for i := range n {
		args = append(args, "--with-fd", fmt.Sprintf("f%d=%d", i, 3+i))
	}
	return args
}

// systemdSkip tells why ww's socket activation cannot be compared with
// systemd's here, or returns "".
func systemdSkip(r *runner, t tools, cases []benchCase) string {
	if _, err := os.Stat(t.socketActivate); err != nil {
		return fmt.Sprintf("%s is missing", t.socketActivate)
	}
	c, ok := findCase(cases, "ww --systemd")
	if !ok {
		return `no case "ww --systemd"`
	}
	if err := r.check(r.job(c)); err != nil {
		return fmt.Sprintf("ww run --systemd failed once, taken as not supported yet (probe %s)", err)
	}
	return ""
}

func findCase(cases []benchCase, name string) (benchCase, bool) {
	for _, c := range cases {
		if c.name == name {
			return c, true
		}
	}
	return benchCase{}, false
}

// commandLine writes argv for the legend, with long runs of --with-fd
// shortened.
func commandLine(argv []string) string {
	var flags []string
	out := []string{argv[0]}
	flush := func() {
		if len(flags) > 6 {
			flags = []string{flags[0], flags[1], "…", flags[len(flags)-1]}
		}
		for _, f := range flags {
			out = append(out, "--with-fd "+f)
		}
		flags = nil
	}
	for i := 1; i < len(argv); i++ {
		if argv[i] == "--with-fd" && i+1 < len(argv) {
			flags = append(flags, argv[i+1])
			i++
			continue
		}
		flush()
		out = append(out, argv[i])
	}
	flush()
	return strings.Replace(strings.Join(out, " "), "--with-fd …", "…", 1)
}

// trimOutput keeps the first line of a command's output, for an error
// message.
func trimOutput(b []byte) string {
	s := strings.TrimSpace(string(b))
	if first, _, ok := strings.Cut(s, "\n"); ok {
		return first + " …"
	}
	return s
}
