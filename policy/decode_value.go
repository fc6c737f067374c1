package policy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The YAML is read into plain values (yamlMaps, lists, strings,
// json.Number, bools, nil; see yamlDocument), then read by the functions
// below, which know where in the file they are: every error names its key
// path, as raw[0].files[1], which a decoder into structs cannot do.

// fieldError is an error at a key path of the file.
type fieldError struct {
	at  string
	err error
}

func (e *fieldError) Error() string {
	if e.at == "" {
		return e.err.Error()
	}
	return e.at + ": " + e.err.Error()
}
func (e *fieldError) Unwrap() error { return e.err }

// errAt is an error at key path at.
func errAt(at, format string, a ...any) error {
	return &fieldError{at: at, err: fmt.Errorf(format, a...)}
}

// child is the key path of key in the mapping at at.
func child(at, key string) string {
	if !isPlainKey(key) {
		key = "[" + quote(key) + "]"
		if at == "" {
			return key
		}
		return at + key
	}
	key = clip(key)
	if at == "" {
		return key
	}
	return at + "." + key
}

// index is the key path of element i of the list at at.
func index(at string, i int) string { return at + "[" + strconv.Itoa(i) + "]" }

// isPlainKey reports whether key can be written unquoted in a key path.
func isPlainKey(key string) bool {
	if key == "" {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// typeName names the type of a decoded value for "want X, got Y".
func typeName(v any) string {
	switch v := v.(type) {
	case nil:
		return "nothing (null)"
	case yamlMap:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return "a string"
	case json.Number:
		return "a number (" + clip(v.String()) + ")"
	case bool:
		return "a boolean (" + strconv.FormatBool(v) + "; quote a string such as \"yes\")"
	}
	return fmt.Sprintf("%T", v)
}

// mapping reads the mapping at at, which may hold only the known keys.
func mapping(v any, at string, known ...string) (yamlMap, error) {
	m, ok := v.(yamlMap)
	if !ok {
		return nil, errAt(at, "want a mapping, got %s", typeName(v))
	}
	if known == nil {
		return m, nil
	}
	unknown := false
	for _, kv := range m {
		if !slices.Contains(known, kv.key) {
			unknown = true
			break
		}
	}
	if !unknown {
		return m, nil
	}
	// Sorted, so that of two unknown keys the same one is always named.
	names := make([]string, 0, len(m))
	for _, kv := range m {
		names = append(names, kv.key)
	}
	slices.Sort(names)
	for _, k := range names {
		if !slices.Contains(known, k) {
			return nil, errAt(child(at, k), "unknown key (known: %s)", strings.Join(known, ", "))
		}
	}
	return m, nil
}

// get returns the value of key k in m, nil if m has none.
func get(m yamlMap, k string) any {
	v, _ := m.get(k)
	return v
}

// list reads the list at at; null or a missing key is an empty list.
func list(v any, at string) ([]any, error) {
	if v == nil {
		return nil, nil
	}
	l, ok := v.([]any)
	if !ok {
		return nil, errAt(at, "want a list, got %s", typeName(v))
	}
	return l, nil
}

// text reads the string at at: not empty, no control character.
func text(v any, at string) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", errAt(at, "want a string, got %s", typeName(v))
	}
	if s == "" {
		return "", errAt(at, "empty string")
	}
	if i := strings.IndexFunc(s, isControl); i >= 0 {
		return "", errAt(at, "%s: has control character %q", quote(s), s[i])
	}
	if len(s) > MaxSourceLen {
		return "", errAt(at, "%s: longer than %d bytes", quote(s), MaxSourceLen)
	}
	return s, nil
}

// plainText reports whether text accepts s.
func plainText(s string) bool {
	return s != "" && len(s) <= MaxSourceLen && strings.IndexFunc(s, isControl) < 0
}

// texts reads a list of strings at at, each checked by check.
func texts(v any, at string, check func(string) error) ([]string, error) {
	l, err := list(v, at)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(l))
	for i, e := range l {
		s, ok := e.(string)
		if !ok || !plainText(s) {
			// The checks again, with the element's key path for the
			// message, which only an error needs.
			if _, err := text(e, index(at, i)); err != nil {
				return nil, err
			}
		}
		if err := check(s); err != nil {
			return nil, &fieldError{at: index(at, i), err: err}
		}
		out = append(out, s)
	}
	return out, nil
}

// isControl reports whether r is an ASCII control character: a NUL, a
// newline or an escape sequence has no place in a path, name or message.
func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
