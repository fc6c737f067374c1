package install

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// importsKey is where a containerd main file's top-level imports list
// sits in the document, byte offsets into it.
type importsKey struct {
	found     bool
	open      int     // the list's '['
	values    [][]int // each element's [start, end)
	strings   []string
	quote     byte // the quote the first element uses
	insertRow int  // where a new top-level key may go: after the last one's line
}

// findImports locates the top-level imports list of a containerd config.
func findImports(doc []byte) (importsKey, error) {
	var k importsKey
	p := unstable.Parser{KeepComments: true}
	p.Reset(doc)
	for p.NextExpression() {
		e := p.Expression()
		if e.Kind == unstable.Table || e.Kind == unstable.ArrayTable {
			break
		}
		if e.Kind != unstable.KeyValue {
			continue
		}
		end := int(e.Raw.Offset + e.Raw.Length)
		k.insertRow = lineEnd(doc, end)
		key := e.Key()
		if !key.Next() || string(key.Node().Data) != "imports" || !key.IsLast() {
			continue
		}
		v := e.Value()
		if v.Kind != unstable.Array {
			return k, errors.New("imports is not a list")
		}
		keyEnd := int(key.Node().Raw.Offset + key.Node().Raw.Length)
		k.open = keyEnd + bytes.IndexByte(doc[keyEnd:end], '[')
		k.found = true
		for it := v.Children(); it.Next(); {
			n := it.Node()
			switch n.Kind {
			case unstable.Comment:
				continue
			case unstable.String:
			default:
				return k, fmt.Errorf("imports holds a value of kind %s, not a path string", n.Kind)
			}
			start := int(n.Raw.Offset)
			if len(k.values) == 0 {
				k.quote = doc[start]
			}
			k.values = append(k.values, []int{start, start + int(n.Raw.Length)})
			k.strings = append(k.strings, string(n.Data))
		}
	}
	if err := p.Error(); err != nil {
		return k, err
	}
	return k, nil
}

// lineEnd is the offset after the newline that ends the line holding i.
func lineEnd(doc []byte, i int) int {
	if j := bytes.IndexByte(doc[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(doc)
}

// addImport returns doc with path at the end of its top-level imports
// list, or with a new imports key after the last top-level key if it has
// none. Only those bytes change.
func addImport(doc []byte, path string) ([]byte, error) {
	k, err := findImports(doc)
	if err != nil {
		return nil, err
	}
	var at int
	var text string
	switch {
	case !k.found:
		at = k.insertRow
		text = "imports = [" + quoteTOML(path, '"') + "]\n"
		if at > 0 && doc[at-1] != '\n' {
			text = "\n" + text
		}
	case len(k.values) == 0:
		at = k.open + 1
		text = quoteTOML(path, '"')
	default:
		at = k.values[len(k.values)-1][1]
		text = ", " + quoteTOML(path, k.quote)
	}
	out := make([]byte, 0, len(doc)+len(text))
	out = append(out, doc[:at]...)
	out = append(out, text...)
	return append(out, doc[at:]...), nil
}

// removeImport returns doc without path in its imports list: the element
// and the comma before it (after it, for the first), as addImport wrote
// them.
func removeImport(doc []byte, path string) ([]byte, error) {
	k, err := findImports(doc)
	if err != nil {
		return nil, err
	}
	for i, s := range k.strings {
		if s != path {
			continue
		}
		from, to := k.values[i][0], k.values[i][1]
		switch {
		case i > 0:
			from = k.values[i-1][1]
		case len(k.values) > 1:
			to = k.values[1][0]
		}
		out := append([]byte(nil), doc[:from]...)
		return append(out, doc[to:]...), nil
	}
	return doc, nil
}

// quoteTOML writes s as a TOML string: a literal one in single quotes
// where s allows, else a basic one.
func quoteTOML(s string, quote byte) string {
	if quote == '\'' && !strings.ContainsAny(s, "'\n\r") {
		return "'" + s + "'"
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
