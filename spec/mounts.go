package spec

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// absBindSources makes the relative sources of bind mounts absolute.
type absBindSources struct {
	bundleDir string
}

var (
	_ Modifier  = (*absBindSources)(nil)
	_ Validator = (*absBindSources)(nil)
)

// AbsBindSources makes the relative source of every bind mount absolute
// by resolving it against bundleDir: a runtime resolves such a source
// against the bundle it is given, so a copy of a config used from another
// folder needs this, as it needs AbsRoot. Other mounts' sources (a
// filesystem type's device or name, such as "proc") are left alone, and
// so is an absolute source, so applying it twice changes nothing.
func AbsBindSources(bundleDir string) Modifier {
	return &absBindSources{bundleDir: bundleDir}
}

// Validate refuses an empty bundle folder, which would silently mean the
// current directory.
func (a *absBindSources) Validate() error {
	if a.bundleDir == "" {
		return errors.New("bundle folder is empty")
	}
	return nil
}

// Modify sets the Source of each relative bind mount.
func (a *absBindSources) Modify(s *specs.Spec) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if s == nil {
		return nil
	}
	dir, err := filepath.Abs(a.bundleDir)
	if err != nil {
		return fmt.Errorf("bundle folder %q: %w", a.bundleDir, err)
	}
	for i, m := range s.Mounts {
		if m.Source == "" || filepath.IsAbs(m.Source) || !isBind(m) {
			continue
		}
		s.Mounts[i].Source = filepath.Join(dir, m.Source)
	}
	return nil
}

// isBind reports whether a mount is a bind mount: by its type, or by a
// bind option, as runtimes read it.
func isBind(m specs.Mount) bool {
	return m.Type == "bind" || slices.Contains(m.Options, "bind") || slices.Contains(m.Options, "rbind")
}
