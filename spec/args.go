package spec

import (
	"errors"
	"fmt"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// args replaces the command line of the container's process.
type args struct {
	argv []string
}

var (
	_ Modifier  = (*args)(nil)
	_ Validator = (*args)(nil)
)

// Args replaces process.args with argv, as `ww run --bundle DIR -- ARG...`
// asks. The first element is the program; argv must not be empty.
func Args(argv []string) Modifier {
	return &args{argv: slices.Clone(argv)}
}

// Validate refuses an empty command line: the runtime would have nothing
// to start.
func (a *args) Validate() error {
	if len(a.argv) == 0 {
		return errors.New("args are empty: the process needs a program to run")
	}
	return nil
}

// Modify sets s.Process.Args.
func (a *args) Modify(s *specs.Spec) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if s == nil || s.Process == nil {
		return fmt.Errorf("set args: %w", ErrNoProcess)
	}
	s.Process.Args = slices.Clone(a.argv)
	return nil
}
