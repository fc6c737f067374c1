package spec

import (
	"encoding/json"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The fast path of ParseHead. encoding/json's Decoder reads a config token
// by token and every value it skips twice (once to find its end, once to
// decode it), allocating as it goes: for runc's default config (4 KB) that
// was 39 µs in a warm loop and about 550,000 instructions, a third of all
// that a fresh `ww runtime create` with two fds executed, and its garbage
// as many again in the allocator. json.Valid checks the whole config in
// one pass without allocating (15 µs warm); on a config it accepts, the
// walk below only has to find the bounds of values, and decodes only the
// strings ww reads. Anything out of the ordinary (a key given twice, a
// value of the wrong type, a key that needs unquoting to be folded)
// makes it give up, and the Decoder's path decides, errors and all:
// FuzzParseHeadFast checks that whatever the walk accepts, that path
// reads the same.

// parseHeadFast is parseHead for data that json.Valid accepts. ok is
// false when it gives up.
func parseHeadFast(data []byte) (h *Head, at *layout, ok bool) {
	s := &walk{data: data}
	h, at = new(Head), new(layout)
	_, ok = s.object(func(key string) bool {
		switch foldKey(key) {
		case keyAnnotations:
			return s.annotations(h)
		case keyProcess:
			return s.process(h, at)
		case keyLinux:
			start := s.i
			s.skipValue()
			if string(data[start:s.i]) != "null" {
				at.linux = data[start:s.i:s.i]
			}
			return true
		}
		s.skipValue()
		return true
	})
	return h, at, ok
}

// walk reads valid JSON: it never checks what json.Valid checked.
type walk struct {
	data []byte
	i    int
}

func (s *walk) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// object reads the object or null at s.i, calling f with s before each
// key's value, which f reads; f returns false to give up. A key given
// twice (as encoding/json folds keys) gives up too.
func (s *walk) object(f func(key string) bool) (null, ok bool) {
	s.space()
	switch s.data[s.i] {
	case 'n':
		s.i += len("null")
		return true, true
	case '{':
	default:
		return false, false
	}
	s.i++
	var seen []string
	for {
		s.space()
		if s.data[s.i] == '}' {
			s.i++
			return false, true
		}
		key, ok := s.str()
		if !ok {
			return false, false
		}
		folded := foldKey(key)
		if slices.Contains(seen, folded) {
			return false, false
		}
		seen = append(seen, folded)
		s.space()
		s.i++ // the colon
		s.space()
		if !f(key) {
			return false, false
		}
		s.space()
		if s.data[s.i] == ',' {
			s.i++
		}
	}
}

// str reads the string at s.i. One that holds an escape or a byte past
// ASCII is decoded by encoding/json, which replaces bad UTF-8 as the
// Decoder does.
func (s *walk) str() (string, bool) {
	if s.data[s.i] != '"' {
		return "", false
	}
	start := s.i
	plain := true
	s.i++
	for {
		c := s.data[s.i]
		if c == '"' {
			break
		}
		if c == '\\' {
			plain = false
			s.i++
		} else if c >= 0x80 {
			plain = false
		}
		s.i++
	}
	s.i++
	if plain {
		return string(s.data[start+1 : s.i-1]), true
	}
	var v string
	if err := json.Unmarshal(s.data[start:s.i], &v); err != nil {
		return "", false
	}
	return v, true
}

// skipValue moves past the value at s.i.
func (s *walk) skipValue() {
	switch s.data[s.i] {
	case '"':
		s.str()
		return
	case '{', '[':
	default:
		// A number or a literal: up to what ends it.
		for s.i < len(s.data) {
			switch s.data[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return
			}
			s.i++
		}
		return
	}
	depth := 0
	for {
		switch s.data[s.i] {
		case '"':
			for s.i++; s.data[s.i] != '"'; s.i++ {
				if s.data[s.i] == '\\' {
					s.i++
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				s.i++
				return
			}
		}
		s.i++
	}
}

// annotations reads an object of strings, or null.
func (s *walk) annotations(h *Head) bool {
	m := make(map[string]string)
	null, ok := s.object(func(key string) bool {
		v, ok := s.str()
		m[key] = v
		return ok
	})
	if ok && !null {
		h.Annotations = m
	}
	return ok
}

// process reads the process object, or null, and in it env: an array of
// strings, or null.
func (s *walk) process(h *Head, at *layout) bool {
	at.procOpen = s.i + 1
	at.procEmpty = true
	null, ok := s.object(func(key string) bool {
		at.procEmpty = false
		if foldKey(key) != keyEnv {
			s.skipValue()
			return true
		}
		at.envStart = s.i
		env, ok := s.strings()
		h.Env = env
		at.envEnd = s.i
		return ok
	})
	h.HasProcess = ok && !null
	return ok
}

// strings reads an array of strings, or null (a nil slice).
func (s *walk) strings() ([]string, bool) {
	if s.data[s.i] == 'n' {
		s.i += len("null")
		return nil, true
	}
	if s.data[s.i] != '[' {
		return nil, false
	}
	s.i++
	out := []string{}
	for {
		s.space()
		switch s.data[s.i] {
		case ']':
			s.i++
			return out, true
		case ',':
			s.i++
			s.space()
		}
		v, ok := s.str()
		if !ok {
			return nil, false
		}
		out = append(out, v)
	}
}

// namespacesFast reads linux.namespaces from linux, the value of linux
// as parseHead found it, for RawConfig.Namespaces. encoding/json's first
// decode into a type builds its decoder by reflection: 110,000
// instructions of a create with two fds went to reading this one list
// (callgrind, 2026-12-01). It gives up, for json.Unmarshal to decide, on
// anything but objects of strings, and on a key given twice.
// FuzzNamespacesFast checks it against json.Unmarshal.
func namespacesFast(linux []byte) ([]specs.LinuxNamespace, bool) {
	s := &walk{data: linux}
	var out []specs.LinuxNamespace
	null, ok := s.object(func(key string) bool {
		if foldKey(key) != "NAMESPACES" {
			s.skipValue()
			return true
		}
		switch s.data[s.i] {
		case 'n':
			s.i += len("null")
			out = nil
			return true
		case '[':
		default:
			return false
		}
		s.i++
		out = []specs.LinuxNamespace{}
		for {
			s.space()
			switch s.data[s.i] {
			case ']':
				s.i++
				return true
			case ',':
				s.i++
				s.space()
			}
			var ns specs.LinuxNamespace
			null, ok := s.object(func(key string) bool {
				var v string
				var ok bool
				switch foldKey(key) {
				case "TYPE":
					v, ok = s.str()
					ns.Type = specs.LinuxNamespaceType(v)
				case "PATH":
					v, ok = s.str()
					ns.Path = v
				default:
					s.skipValue()
					ok = true
				}
				return ok
			})
			if null || !ok {
				return false
			}
			out = append(out, ns)
		}
	})
	return out, ok && !null
}
