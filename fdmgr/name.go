package fdmgr

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// EnvPrefix starts the name of every variable that tells a child where a
// named fd landed: WW_FD_<NAME>=<fd>.
const EnvPrefix = "WW_FD_"

// FirstFD is the fd number the first named fd lands at in the child. 0, 1
// and 2 stay the child's standard streams.
const FirstFD = 3

// maxNameLen keeps names short enough to be readable variable names and
// valid systemd fd names (which allow up to 255 characters).
const maxNameLen = 63

// ValidateName reports whether name may name an fd: 1 to 63 characters, an
// ASCII letter first, then ASCII letters, digits, '_' or '-'.
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("name is empty")
	}
	if len(name) > maxNameLen {
		return fmt.Errorf("name %q is longer than %d characters", name, maxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case isLetter(c):
		case i > 0 && (isDigit(c) || c == '_' || c == '-'):
		case i == 0:
			return fmt.Errorf("name %q must start with an ASCII letter", name)
		default:
			return fmt.Errorf("name %q has character %s: only letters, digits, '_' and '-' are allowed", name, quoteCharAt(name, i))
		}
	}
	return nil
}

// quoteCharAt quotes the character at byte i of s: a whole UTF-8
// sequence as one rune, a byte that starts none as that byte.
func quoteCharAt(s string, i int) string {
	r, size := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && size <= 1 {
		return fmt.Sprintf("%q", s[i:i+1])
	}
	return fmt.Sprintf("%q", r)
}

// EnvName is the variable that carries name's fd number: the name
// upper-cased with '-' turned into '_', after EnvPrefix. Two names with the
// same EnvName are the same name.
func EnvName(name string) string {
	var b strings.Builder
	b.Grow(len(EnvPrefix) + len(name))
	writeEnvName(&b, name)
	return b.String()
}

// writeEnvName writes EnvName(name) to b, without allocating for an ASCII
// name: ww names a thousand fds on a run that hands over a thousand.
func writeEnvName(b *strings.Builder, name string) {
	b.WriteString(EnvPrefix)
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= utf8.RuneSelf:
			// Not a valid name, but named as ever: upper-casing is rune
			// by rune, so the rest can be done apart.
			b.WriteString(strings.ToUpper(strings.ReplaceAll(name[i:], "-", "_")))
			return
		case c == '-':
			c = '_'
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		b.WriteByte(c)
	}
}

// IsEnvVar reports whether the environment entry kv ("KEY=value") is a
// WW_FD_* variable.
func IsEnvVar(kv string) bool {
	return strings.HasPrefix(kv, EnvPrefix)
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// ParseEnvVar reads one WW_FD_<NAME>=<fd> variable as a child finds it:
// NAME spelt as EnvName spells it, so that a lookup through EnvName finds
// it, and fd a plain decimal number from FirstFD on. It returns the name
// in lower case. Its errors say what is wrong without quoting the
// variable, which the caller does.
func ParseEnvVar(key, value string) (name string, fd int, err error) {
	suffix, ok := strings.CutPrefix(key, EnvPrefix)
	if !ok {
		return "", 0, fmt.Errorf("the name does not start with %s", EnvPrefix)
	}
	if err := ValidateName(suffix); err != nil {
		return "", 0, err
	}
	if want := EnvName(suffix); want != key {
		return "", 0, fmt.Errorf("name %q should be written %q", suffix, strings.TrimPrefix(want, EnvPrefix))
	}
	if fd, err = parseDecimal(value); err != nil {
		return "", 0, fmt.Errorf("fd is %w", err)
	}
	if fd < FirstFD {
		return "", 0, fmt.Errorf("fd %d is a standard stream, named fds start at %d", fd, FirstFD)
	}
	return strings.ToLower(suffix), fd, nil
}
