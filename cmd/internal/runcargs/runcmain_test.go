package runcargs

import (
	"os"
	"slices"
	"testing"
)

// mainDiffers names the rows where runc main (urfave/cli v3) does not
// read argv as Parse does, and why. Parse keeps runc 1.x's reading there.
// ww passes on untouched what Parse refuses, so the lower runtime judges
// it; where runc main then creates a container, it has none of ww's fds.
var mainDiffers = map[string]string{
	"criu, read":                       "runc main has no --criu, gone since runc 1.4",
	"-b and --bundle, cannot use both": "urfave/cli v3 takes a flag under two names, the last counting",
	"-d and --detach, cannot use both": "urfave/cli v3 takes a flag under two names, the last counting",
	"-h and --help, cannot use both":   "urfave/cli v3 takes a flag under two names, the last counting",
	"boolean flag then ID then flags, an extra argument as in runc": "urfave/cli v3 reads flags " +
		"anywhere among the arguments",
	"global flag after the ID after a boolean flag, an extra argument as in runc 1.x": "urfave/cli v3 " +
		"reads flags anywhere among the arguments",
	"debug= after create, not a boolean as in runc 1.x": `urfave/cli v3 takes "--debug=" as true`,
	"log-format yaml after create --help, refused as runc 1.x checks it": "runc main shows the help " +
		"before it checks a value",
	"create --help with an unknown flag, unknown as in runc 1.x": "runc main shows the help " +
		"rather than refuse the flag",
	"help after the ID of run, help only": `runc main takes the ID for a help topic and fails ` +
		`("No help topic for 'id'"), creating nothing either`,
}

// TestAgainstRuncMain runs a runc built from runc's main branch, named by
// $WW_RUNC_MAIN, on every table as TestAgainstRunc runs runc 1.x: each
// create or run that Parse takes stops at the bundle Parse found, having
// logged where and how Parse says; each argv that Parse refuses, runc
// main refuses too. A row of mainDiffers must really differ: runc main
// takes the argv that Parse refuses, or refuses the one Parse takes.
func TestAgainstRuncMain(t *testing.T) {
	runc := os.Getenv("WW_RUNC_MAIN")
	if runc == "" {
		t.Skip("needs $WW_RUNC_MAIN: a runc built from its main branch")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: runc create as another user takes other paths")
	}
	for _, tc := range slices.Concat(parseCases, afterCases) {
		if tc.want.Command != Create && tc.want.Command != Run {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			if why, ok := mainDiffers[tc.name]; ok {
				checkRuncMainDiffers(t, runc, tc.argv, why)
				return
			}
			checkRuncReads(t, runc, tc.argv)
		})
	}
	for _, tc := range slices.Concat(parseErrorCases, afterErrorCases) {
		t.Run(tc.name, func(t *testing.T) {
			if why, ok := mainDiffers[tc.name]; ok {
				checkRuncMainDiffers(t, runc, tc.argv, why)
				return
			}
			checkRuncRefuses(t, runc, tc)
		})
	}
}

// checkRuncMainDiffers checks that runc main goes another way than Parse
// on argv: it reaches the bundle (or shows help) where Parse refuses, or
// refuses before any bundle where Parse takes argv.
func checkRuncMainDiffers(t *testing.T, runc, s, why string) {
	t.Helper()
	dir, argv := movedArgv(t, s)
	_, err := Parse(argv, dir)
	out, runcErr := runRunc(runc, dir, argv)
	taken := runcErr == nil || reachedBundle(out)
	if (err == nil) == taken {
		t.Errorf("runc main %q: %v, Parse: %v; want them to differ (%s):\n%s", argv, runcErr, err, why, out)
	}
}

func TestMainDiffersNamesRows(t *testing.T) {
	names := make(map[string]bool)
	for _, tc := range slices.Concat(parseCases, afterCases) {
		names[tc.name] = true
	}
	for _, tc := range slices.Concat(parseErrorCases, afterErrorCases) {
		names[tc.name] = true
	}
	for name := range mainDiffers {
		if !names[name] {
			t.Errorf("mainDiffers names %q, no row of the tables", name)
		}
	}
}
