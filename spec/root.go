package spec

import (
	"errors"
	"fmt"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// absRoot makes root.path absolute, resolved against a bundle folder.
type absRoot struct {
	bundleDir string
}

var (
	_ Modifier  = (*absRoot)(nil)
	_ Validator = (*absRoot)(nil)
)

// AbsRoot makes a relative root.path absolute by resolving it against
// bundleDir, the folder it is relative to. A runtime resolves root.path
// against the bundle it is given, so a copy of a config used from another
// folder needs this to keep its root. A relative bundleDir is first made
// absolute against the current directory. An absolute root.path, or a spec
// without root, is left as it is, so applying AbsRoot twice changes nothing.
func AbsRoot(bundleDir string) Modifier {
	return &absRoot{bundleDir: bundleDir}
}

// Validate refuses an empty bundle folder, which would silently mean the
// current directory.
func (a *absRoot) Validate() error {
	if a.bundleDir == "" {
		return errors.New("bundle folder is empty")
	}
	return nil
}

// Modify sets s.Root.Path.
func (a *absRoot) Modify(s *specs.Spec) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if s == nil || s.Root == nil || filepath.IsAbs(s.Root.Path) {
		return nil
	}
	if s.Root.Path == "" {
		return errors.New("root path is empty")
	}
	dir, err := filepath.Abs(a.bundleDir)
	if err != nil {
		return fmt.Errorf("bundle folder %q: %w", a.bundleDir, err)
	}
	s.Root.Path = filepath.Join(dir, s.Root.Path)
	return nil
}
