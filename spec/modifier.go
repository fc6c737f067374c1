package spec

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Modifier is one edit of a spec.
type Modifier interface {
	// Modify edits s. It checks s before changing anything, so an error
	// leaves s as this Modify found it.
	Modify(s *specs.Spec) error
}

// Validator is a Modifier that can check its own input before it sees a
// spec. Apply validates every modifier before it modifies anything.
type Validator interface {
	Validate() error
}

// ErrNoProcess is the error, wrapped, of an edit of the process of a spec
// that has none (a config that only describes a filesystem, say).
var ErrNoProcess = errors.New("spec has no process")

// Apply validates every modifier in mods, then applies them in order. A
// modifier's own bad input fails before s is touched; a spec a later
// modifier refuses may be left with the earlier edits done, so on error do
// not save s.
func Apply(s *specs.Spec, mods ...Modifier) error {
	if s == nil {
		return errors.New("spec is nil")
	}
	if err := validate(mods); err != nil {
		return err
	}
	for _, m := range mods {
		if err := m.Modify(s); err != nil {
			return err
		}
	}
	return nil
}

// validate runs Validate of every modifier in mods that is a Validator.
func validate(mods []Modifier) error {
	for _, m := range mods {
		if v, ok := m.(Validator); ok {
			if err := v.Validate(); err != nil {
				return err
			}
		}
	}
	return nil
}
