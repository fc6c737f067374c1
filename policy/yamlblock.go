package policy

import "strings"

// The block structure of the YAML subset (see yamlsubset.go): a node
// starts at a column of the current line; a mapping or sequence goes on
// over the following lines indented exactly as its first entry.

// blockNode reads the node at column col of the current line: a block
// sequence, a block mapping, or a value that ends on this line.
func (p *yamlParser) blockNode(col int) (any, error) {
	if p.depth++; p.depth > maxYAMLDepth {
		return nil, p.errAt(p.line, col, "nested more than %d deep", maxYAMLDepth)
	}
	defer func() { p.depth-- }()
	if isEntry(p.lines[p.line][col:]) {
		return p.blockSeq(col)
	}
	_, _, ok, err := p.key(col)
	if err != nil {
		return nil, err
	}
	if ok {
		return p.blockMap(col)
	}
	v, err := p.lineValue(col)
	p.line++
	return v, err
}

// blockMap reads the block mapping whose first key is at column col of
// the current line.
func (p *yamlParser) blockMap(col int) (any, error) {
	var m yamlMap
	var seen keys
	for {
		k, vcol, ok, err := p.key(col)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, p.errAt(p.line, col, `want "key: value" in this mapping`)
		}
		if seen.has(m, k) {
			return nil, p.errAt(p.line, col, "key %s given twice", quote(k))
		}
		var v any
		l := p.lines[p.line]
		if j := skipSpaces(l, vcol); j < len(l) && l[j] != '#' {
			v, err = p.lineValue(j)
			p.line++
		} else if p.line = p.skip(p.line + 1); p.line < p.end {
			// The value on the lines below: more indented, or a sequence
			// whose "-" is in the key's column, as Kubernetes writes them.
			switch ind := indent(p.lines[p.line]); {
			case ind > col:
				v, err = p.blockNode(ind)
			case ind == col && isEntry(p.lines[p.line][col:]):
				v, err = p.blockSeq(col)
			}
		}
		if err != nil {
			return nil, err
		}
		m = append(m, yamlPair{k, v})
		seen.add(m, k)
		if done, err := p.next(col); done || err != nil {
			return m, err
		}
	}
}

// blockSeq reads the block sequence whose first "-" is at column col of
// the current line.
func (p *yamlParser) blockSeq(col int) (any, error) {
	out := []any{}
	for {
		l := p.lines[p.line]
		if !isEntry(l[col:]) {
			return nil, p.errAt(p.line, col, `want a "- " entry in this list`)
		}
		var v any
		var err error
		if j := skipSpaces(l, col+1); j < len(l) && l[j] != '#' {
			v, err = p.blockNode(j)
		} else if p.line = p.skip(p.line + 1); p.line < p.end {
			if ind := indent(p.lines[p.line]); ind > col {
				v, err = p.blockNode(ind)
			}
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		done, err := p.next(col)
		if err != nil {
			return nil, err
		}
		if done || !isEntry(p.lines[p.line][col:]) {
			return out, nil
		}
	}
}

// next moves to the next line with content after an entry of the
// collection at column col and reports whether the collection has
// ended: the document ends or the line is less indented. A line more
// indented is an error: a value ends on its line.
func (p *yamlParser) next(col int) (bool, error) {
	if p.line = p.skip(p.line); p.line == p.end {
		return true, nil
	}
	switch ind := indent(p.lines[p.line]); {
	case ind < col:
		return true, nil
	case ind > col:
		return false, p.errAt(p.line, ind, "unexpected indentation (a value continued on another line is not supported)")
	}
	return false, nil
}

// key reads "key:" at column col of the current line, with a space or
// the end of the line after the colon: the key and the column after the
// colon, or ok false if the line holds no key there.
func (p *yamlParser) key(col int) (k string, vcol int, ok bool, err error) {
	l := p.lines[p.line]
	var end int
	switch l[col] {
	case '[', '{':
		return "", 0, false, nil // a flow node: a complex key if a colon follows, refused by lineValue
	case '"', '\'':
		if k, end, err = p.quoted(col); err != nil {
			return "", 0, false, err
		}
		end = skipSpaces(l, end)
	default:
		if end, err = p.plainEnd(col, false); err != nil {
			return "", 0, false, err
		}
		if end < len(l) && l[end] == ':' {
			if k, err = p.plainKey(col, end); err != nil {
				return "", 0, false, err
			}
		}
	}
	if end == len(l) || l[end] != ':' || end+1 < len(l) && l[end+1] != ' ' {
		return "", 0, false, nil
	}
	if end-col > maxKeyLen {
		return "", 0, false, p.errAt(p.line, col, "key longer than %d bytes", maxKeyLen)
	}
	return k, end + 1, true, nil
}

// lineValue reads the value at column col of the current line, which
// must end on it: a flow collection, a quoted or a plain scalar.
func (p *yamlParser) lineValue(col int) (any, error) {
	l := p.lines[p.line]
	var v any
	var end int
	var err error
	switch l[col] {
	case '[', '{':
		v, end, err = p.flow(col)
	case '"', '\'':
		v, end, err = p.quoted(col)
	default:
		if isEntry(l[col:]) {
			return nil, p.errAt(p.line, col, `a "- " entry must start its own line`)
		}
		if end, err = p.plainEnd(col, false); err != nil {
			return nil, err
		}
		if end < len(l) && l[end] == ':' {
			return nil, p.errAt(p.line, end, `": " in a plain value; quote the value`)
		}
		end = len(strings.TrimRight(l[:end], " "))
		v, err = p.plain(col, end)
	}
	if err != nil {
		return nil, err
	}
	if j := skipSpaces(l, end); j < len(l) && (l[j] != '#' || j == end) {
		return nil, p.errAt(p.line, j, "unexpected %s after the value", quote(l[j:j+1]))
	}
	return v, nil
}
