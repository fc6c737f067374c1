package policy

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Scalars of the YAML subset (see yamlsubset.go), each on one line.

// plainEnd checks that a plain scalar may start at column col of the
// current line and returns where it ends: at ": ", a ":" ending the
// line, " #", the end of the line, or in a flow collection (flow) at one
// of ",?[]{}". The scalar is what precedes, less trailing spaces.
func (p *yamlParser) plainEnd(col int, flow bool) (int, error) {
	l := p.lines[p.line]
	next := byte(' ')
	if col+1 < len(l) {
		next = l[col+1]
	}
	switch c := l[col]; {
	case c == '&':
		return 0, p.errAt(p.line, col, "anchors (&) are not supported")
	case c == '*':
		return 0, p.errAt(p.line, col, "aliases (*) are not supported")
	case c == '!':
		return 0, p.errAt(p.line, col, "tags (!) are not supported")
	case c == '|' || c == '>':
		return 0, p.errAt(p.line, col, "block scalars (| and >) are not supported; write the value on one line, quoted if need be")
	case c == '?':
		return 0, p.errAt(p.line, col, "complex keys (?) are not supported")
	case c == '-' && (next == ' ' || flow && strings.IndexByte(",[]{}", next) >= 0),
		strings.IndexByte(":,[]{}#%@`", c) >= 0:
		return 0, p.errAt(p.line, col, "%s cannot start a plain value; quote the value", quote(l[col:col+1]))
	}
	for i := col; i < len(l); i++ {
		switch c := l[i]; {
		case c == ':' && (i+1 == len(l) || l[i+1] == ' '),
			c == '#' && l[i-1] == ' ',
			flow && strings.IndexByte(",?[]{}", c) >= 0:
			return i, nil
		}
	}
	return len(l), nil
}

// plain reads the plain scalar from col to end of the current line as
// YAML 1.1 resolves it.
func (p *yamlParser) plain(col, end int) (any, error) {
	s := strings.TrimRight(p.lines[p.line][col:end], " ")
	v, err := resolvePlain(s)
	if err != nil {
		return nil, p.errAt(p.line, col, "%s %v", quote(s), err)
	}
	return v, nil
}

// plainKey reads the plain key from col to end of the current line: one
// that YAML reads as a string, as a JSON key is. A key that is a string
// is not put in an interface value, which would allocate: a policy of 100
// resources has 300 such keys.
func (p *yamlParser) plainKey(col, end int) (string, error) {
	s := strings.TrimRight(p.lines[p.line][col:end], " ")
	v, other, err := resolveOther(s)
	switch {
	case err != nil:
		return "", p.errAt(p.line, col, "%s %v", quote(s), err)
	case other:
		return "", p.errAt(p.line, col, "key %s is %s in YAML; quote the key", quote(s), typeName(v))
	}
	return s, nil
}

// resolvePlain is the value of plain scalar s, as go.yaml.in/yaml/v2
// resolves it (its resolve function): YAML 1.1's null, bool, int and
// float, else a string. It refuses what JSON cannot hold (.inf, .nan),
// merge keys, and timestamps, which the library turns into a time
// and then a string of another form.
func resolvePlain(s string) (any, error) {
	if v, other, err := resolveOther(s); other || err != nil {
		return v, err
	}
	return s, nil
}

// resolveOther is resolvePlain for a scalar that YAML reads as other
// than a string: its value and true; or false for a string, which is s.
func resolveOther(s string) (any, bool, error) {
	switch s {
	case "~", "null", "Null", "NULL":
		return nil, true, nil
	case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
		return true, true, nil
	case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
		return false, true, nil
	case ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
		return nil, true, errors.New("is not a finite number; quote the value")
	case "<<":
		return nil, true, errors.New("(a merge key) is not supported")
	}
	switch c := s[0]; {
	case c == '.':
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return floatNumber(f), true, nil
		}
	case c == '+' || c == '-' || '0' <= c && c <= '9':
		if isYAMLTimestamp(s) {
			return nil, true, errors.New("is a timestamp in YAML; quote the value")
		}
		plain := strings.ReplaceAll(s, "_", "")
		if n, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return json.Number(strconv.FormatInt(n, 10)), true, nil
		}
		if n, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return json.Number(strconv.FormatUint(n, 10)), true, nil
		}
		if isYAMLFloat(plain) {
			if f, err := strconv.ParseFloat(plain, 64); err == nil {
				return floatNumber(f), true, nil
			}
		}
		n, ok := binaryInt(plain)
		return n, ok, nil
	}
	return nil, false, nil
}

// binaryInt is the library's last try at a number: after a 0b or -0b,
// the rest in base 2 as strconv reads it, sign included ("0b+1" is 1);
// false if plain is not such a number.
func binaryInt(plain string) (json.Number, bool) {
	switch {
	case strings.HasPrefix(plain, "0b"):
		if n, err := strconv.ParseInt(plain[2:], 2, 64); err == nil {
			return json.Number(strconv.FormatInt(n, 10)), true
		}
		if n, err := strconv.ParseUint(plain[2:], 2, 64); err == nil {
			return json.Number(strconv.FormatUint(n, 10)), true
		}
	case strings.HasPrefix(plain, "-0b"):
		if n, err := strconv.ParseInt("-"+plain[3:], 2, 64); err == nil {
			return json.Number(strconv.FormatInt(n, 10)), true
		}
	}
	return "", false
}

// floatNumber is f as encoding/json writes it, which the library's
// result went through.
func floatNumber(f float64) json.Number {
	b, _ := json.Marshal(f) // f is finite: ParseFloat gave no error
	return json.Number(b)
}

// isYAMLFloat reports whether s matches the library's float pattern,
// ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$, without the
// regexp compiled at init that this reader exists to avoid.
func isYAMLFloat(s string) bool {
	digits := func(i int) int {
		j := i
		for j < len(s) && '0' <= s[j] && s[j] <= '9' {
			j++
		}
		return j - i
	}
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if d := digits(i); d > 0 {
		i += d
		if i < len(s) && s[i] == '.' {
			i++
			i += digits(i)
		}
	} else if i < len(s) && s[i] == '.' && digits(i+1) > 0 {
		i += 1 + digits(i+1)
	} else {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := digits(i)
		if d == 0 {
			return false
		}
		i += d
	}
	return i == len(s)
}

// isYAMLTimestamp reports whether the library reads s as a timestamp
// (its parseTimestamp).
func isYAMLTimestamp(s string) bool {
	if len(s) < 5 || s[4] != '-' || strings.IndexFunc(s[:4], func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return false
	}
	for _, layout := range []string{"2006-1-2T15:4:5.999999999Z07:00", "2006-1-2t15:4:5.999999999Z07:00", "2006-1-2 15:4:5.999999999", "2006-1-2"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

// quoted reads the single- or double-quoted scalar at column col of the
// current line: its value and the column after the closing quote.
func (p *yamlParser) quoted(col int) (string, int, error) {
	l := p.lines[p.line]
	q := l[col]
	// Most values have no escape: they are the text between the quotes.
	if j := strings.IndexByte(l[col+1:], q); j >= 0 {
		end := col + 1 + j
		if q == '"' && !strings.Contains(l[col+1:end], `\`) || q == '\'' && !strings.HasPrefix(l[end+1:], "'") {
			return l[col+1 : end], end + 1, nil
		}
	}
	var b strings.Builder
	for i := col + 1; i < len(l); {
		switch c := l[i]; {
		case c == '\'' && q == '\'' && i+1 < len(l) && l[i+1] == '\'':
			b.WriteByte('\'')
			i += 2
		case c == q:
			return b.String(), i + 1, nil
		case c == '\\' && q == '"':
			n, err := p.escape(&b, i)
			if err != nil {
				return "", 0, err
			}
			i += n
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", 0, p.errAt(p.line, col, "quoted value not closed on its line (values on more lines are not supported)")
}

// escape writes the character that the escape sequence at column i of
// the current line stands for and returns the sequence's length.
func (p *yamlParser) escape(b *strings.Builder, i int) (int, error) {
	l := p.lines[p.line]
	if i+1 == len(l) {
		return 0, p.errAt(p.line, i, `"\" at the end of the line (values on more lines are not supported)`)
	}
	if r, ok := map[byte]rune{'0': 0, 'a': '\a', 'b': '\b', 't': '\t', 'n': '\n', 'v': '\v', 'f': '\f', 'r': '\r',
		'e': 0x1b, ' ': ' ', '"': '"', '\'': '\'', '\\': '\\', 'N': 0x85, '_': 0xa0, 'L': 0x2028, 'P': 0x2029}[l[i+1]]; ok {
		b.WriteRune(r)
		return 2, nil
	}
	n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[l[i+1]]
	if n == 0 {
		return 0, p.errAt(p.line, i, "unknown escape %s", quote(l[i:i+2]))
	}
	if i+2+n > len(l) {
		return 0, p.errAt(p.line, i, "escape %s: want %d hex digits", quote(l[i:]), n)
	}
	r, err := strconv.ParseUint(l[i+2:i+2+n], 16, 32)
	if err != nil || r > utf8.MaxRune || 0xD800 <= r && r <= 0xDFFF {
		return 0, p.errAt(p.line, i, "escape %s is not a Unicode character", quote(l[i:i+2+n]))
	}
	b.WriteRune(rune(r))
	return 2 + n, nil
}
