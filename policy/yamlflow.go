package policy

// Flow collections of the YAML subset (see yamlsubset.go): [a, "b"] and
// {k: v}, nested, each ending on the line where it starts.

// flow reads the flow collection at column col of the current line: its
// value and the column after its closing bracket.
func (p *yamlParser) flow(col int) (any, int, error) {
	if p.depth++; p.depth > maxYAMLDepth {
		return nil, 0, p.errAt(p.line, col, "nested more than %d deep", maxYAMLDepth)
	}
	defer func() { p.depth-- }()
	if p.lines[p.line][col] == '[' {
		return p.flowSeq(col)
	}
	return p.flowMap(col)
}

// flowSeq reads the flow sequence whose "[" is at column col.
func (p *yamlParser) flowSeq(col int) (any, int, error) {
	l := p.lines[p.line]
	i := skipSpaces(l, col+1)
	if i < len(l) && l[i] == ']' {
		return []any{}, i + 1, nil
	}
	// Room for the few entries a policy's lists have, grown once.
	out := make([]any, 0, 4)
	for {
		v, end, err := p.flowValue(i, col)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
		i = skipSpaces(l, end)
		if i < len(l) && l[i] == ':' {
			return nil, 0, p.errAt(p.line, i, `a "key: value" pair in a flow list; write {key: value}`)
		}
		next, done, err := p.flowNext(i, col, ']')
		if done || err != nil {
			return out, next, err
		}
		i = next
	}
}

// flowMap reads the flow mapping whose "{" is at column col.
func (p *yamlParser) flowMap(col int) (any, int, error) {
	l := p.lines[p.line]
	i := skipSpaces(l, col+1)
	if i < len(l) && l[i] == '}' {
		return yamlMap{}, i + 1, nil
	}
	m := make(yamlMap, 0, 2)
	var seen keys
	for {
		k, end, err := p.flowKey(i, col)
		if err != nil {
			return nil, 0, err
		}
		if seen.has(m, k) {
			return nil, 0, p.errAt(p.line, i, "key %s given twice", quote(k))
		}
		start := i
		if i = skipSpaces(l, end); i == len(l) || l[i] != ':' {
			return nil, 0, p.errAt(p.line, i, `want ":" after key %s`, quote(k))
		}
		if i-start > maxKeyLen {
			return nil, 0, p.errAt(p.line, start, "key longer than %d bytes", maxKeyLen)
		}
		if i = skipSpaces(l, i+1); i < len(l) && (l[i] == ',' || l[i] == '}') {
			return nil, 0, p.errAt(p.line, i, `want a value after ":" (write null for none)`)
		}
		var v any
		if v, end, err = p.flowValue(i, col); err != nil {
			return nil, 0, err
		}
		m = append(m, yamlPair{k, v})
		seen.add(m, k)
		next, done, err := p.flowNext(skipSpaces(l, end), col, '}')
		if done || err != nil {
			return m, next, err
		}
		i = next
	}
}

// flowNext reads what follows an entry at column i of the flow
// collection opened at column open: its closing bracket, the collection
// done and the column after it; or a comma and the column of the next
// entry.
func (p *yamlParser) flowNext(i, open int, closing byte) (int, bool, error) {
	l := p.lines[p.line]
	switch {
	case i == len(l) || l[i] == '#':
		return 0, false, p.unclosed(open)
	case l[i] == closing:
		return i + 1, true, nil
	case l[i] != ',':
		return 0, false, p.errAt(p.line, i, "want %q or %q, got %s", ",", string(closing), quote(l[i:i+1]))
	}
	i = skipSpaces(l, i+1)
	if i < len(l) && l[i] == closing {
		return 0, false, p.errAt(p.line, i, "want an entry after the comma")
	}
	return i, false, nil
}

// unclosed is the error of a flow collection opened at column open and
// not closed on its line.
func (p *yamlParser) unclosed(open int) error {
	return p.errAt(p.line, open, "%s not closed on its line (flow collections on more lines are not supported)", quote(p.lines[p.line][open:open+1]))
}

// flowKey reads the key at column i of the flow mapping opened at
// column open: its value and the column after it.
func (p *yamlParser) flowKey(i, open int) (string, int, error) {
	l := p.lines[p.line]
	switch {
	case i == len(l) || l[i] == '#':
		return "", 0, p.unclosed(open)
	case l[i] == '[' || l[i] == '{':
		return "", 0, p.errAt(p.line, i, "complex keys are not supported")
	case l[i] == '"' || l[i] == '\'':
		return p.quoted(i)
	}
	end, err := p.plainEnd(i, true)
	if err != nil {
		return "", 0, err
	}
	k, err := p.plainKey(i, end)
	return k, end, err
}

// flowValue reads the value at column i of the flow collection opened
// at column open: its value and the column after it.
func (p *yamlParser) flowValue(i, open int) (any, int, error) {
	l := p.lines[p.line]
	switch {
	case i == len(l) || l[i] == '#':
		return nil, 0, p.unclosed(open)
	case l[i] == '[' || l[i] == '{':
		return p.flow(i)
	case l[i] == '"' || l[i] == '\'':
		return p.quoted(i)
	}
	end, err := p.plainEnd(i, true)
	if err != nil {
		return nil, 0, err
	}
	v, err := p.plain(i, end)
	if s, ok := v.(string); ok && s[len(s)-1] == ':' {
		return nil, 0, p.errAt(p.line, i, "%s ends in a colon; quote the value", quote(s))
	}
	return v, end, err
}
