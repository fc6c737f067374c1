package main

import (
	"errors"
	"flag"
	"io"
	"testing"
)

// TestFlagError provokes each message of the real flag package that
// flagError rewrites and checks ww's one line. flagError recognises the
// messages by their English wording: should Go reword one, it passes
// through untranslated and its row fails here, not silently for users.
func TestFlagError(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"--with-fd without a value, needs a value", []string{"--with-fd"}, "--with-fd needs a value"},
		{"-with-fd without a value, needs a value with two dashes", []string{"-with-fd"}, "--with-fd needs a value"},
		{"-b without a value, needs a value with one dash", []string{"-b"}, "-b needs a value"},
		{"--id=x then --runtime without a value, needs a value", []string{"--id=x", "--runtime"}, "--runtime needs a value"},
		{"--with-fdd, unknown flag", []string{"--with-fdd", "x=0"}, `unknown flag "--with-fdd"`},
		{"-with-fdd, unknown flag with two dashes", []string{"-with-fdd"}, `unknown flag "--with-fdd"`},
		{"-x, unknown flag with one dash", []string{"-x"}, `unknown flag "-x"`},
		{"--systemd=maybe, not true or false", []string{"--systemd=maybe"}, `--systemd "maybe": not true or false`},
		{"--systemd=, not true or false", []string{"--systemd="}, `--systemd "": not true or false`},
		{"-systemd=2, not true or false with two dashes", []string{"-systemd=2"}, `--systemd "2": not true or false`},
		{"--systemd=\"a for b\", not true or false, value whole", []string{"--systemd=a for b"}, `--systemd "a for b": not true or false`},
		{"---with-fd, bad syntax as the flag package says it", []string{"---with-fd"}, "bad flag syntax: ---with-fd"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := flagError(runFlags().Parse(tc.args))
			if err == nil || err.Error() != tc.want {
				t.Fatalf("flagError = %v, want %q", err, tc.want)
			}
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != exitUsage {
				t.Errorf("flagError = %#v, want an exitError with status %d", err, exitUsage)
			}
		})
	}
}

// runFlags is a flag set with the kinds of flag ww run has: a
// repeatable value, a boolean, and strings with long and one-letter
// names.
func runFlags() *flag.FlagSet {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var fds fdOptions
	fds.register(fs)
	var bundle, id, lowerRun string
	fs.StringVar(&bundle, "bundle", "", "")
	fs.StringVar(&bundle, "b", "", "")
	fs.StringVar(&id, "id", "", "")
	fs.StringVar(&lowerRun, "runtime", "", "")
	return fs
}

// TestGrowStack: growStack's frame is on the stack, not moved to the heap
// (which would make it grow nothing and cost an allocation).
func TestGrowStack(t *testing.T) {
	if n := testing.AllocsPerRun(10, growStack); n != 0 {
		t.Errorf("growStack allocates %v times per call", n)
	}
}
