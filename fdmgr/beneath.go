package fdmgr

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// AddSource adds a named request whose source is parsed already: one a
// caller decided on, such as a node policy's resource for an annotation,
// or a request the caller confined to a folder by setting Beneath (and
// AllowDevice). The other fields of s must be what ParseSource gives for
// s.Text, since messages quote Text: what is opened is what they say.
func (m *FDManager) AddSource(name string, s Source) error {
	if err := m.canAdd(name); err != nil {
		return err
	}
	parsed, err := ParseSource(s.Text)
	if err != nil {
		return err
	}
	parsed.Beneath, parsed.AllowDevice = s.Beneath, s.AllowDevice
	if parsed != s {
		return fmt.Errorf("source %q: its fields are not what its text says", s.Text)
	}
	if err := checkBeneath(s); err != nil {
		return fmt.Errorf("source %q: %w", s.Text, err)
	}
	return m.add(name, s)
}

// checkBeneath checks the confinement of s (see Source.Beneath) before
// anything is opened: a folder that is an absolute, clean path, on a kind
// that has a path, and a Path beneath it as written.
func checkBeneath(s Source) error {
	if s.Beneath == "" {
		return nil
	}
	switch {
	case s.Kind == SourceFile, s.Kind == SourceUnix, s.Kind == SourceListen && s.Network == "unix":
	default:
		return errors.New(`a folder to stay beneath applies to "file:", "unix:" and "listen:unix:" only`)
	}
	if !path.IsAbs(s.Beneath) || path.Clean(s.Beneath) != s.Beneath || strings.IndexByte(s.Beneath, 0) >= 0 {
		return fmt.Errorf("folder %q is not an absolute, clean path", s.Beneath)
	}
	if s.Abstract() {
		return nil
	}
	_, err := s.beneathRel()
	return err
}

// beneathRel returns Path relative to Beneath, as written: "." for the
// folder itself. It judges the text only; ".." and symbolic links in the
// rest are left to the opening, which refuses those that lead out, so
// that /srv/shared/../../etc/shadow beneath /srv/shared fails as the
// escape it is.
func (s Source) beneathRel() (string, error) {
	rel, ok := strings.CutPrefix(s.Path, s.Beneath)
	if !ok || s.Beneath != "/" && rel != "" && rel[0] != '/' {
		return "", fmt.Errorf("not beneath %s", s.Beneath)
	}
	if rel = strings.TrimLeft(rel, "/"); rel == "" {
		rel = "."
	}
	return rel, nil
}

// splitName cuts rel, a path relative to a folder, into the folder that
// holds its last element, and that element: ("a/b", "sock") for
// a/b/sock, (".", "sock") for sock. A rel that ends in "/", ".", or
// ".." names no element that a file could be made at: its name is "".
func splitName(rel string) (dir, name string) {
	dir, name = path.Split(rel)
	if name == "." || name == ".." {
		name = ""
	}
	if dir = strings.TrimRight(dir, "/"); dir == "" {
		dir = "."
	}
	return dir, name
}
