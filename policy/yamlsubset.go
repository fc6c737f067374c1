package policy

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Why a hand-rolled YAML reader: decode used sigs.k8s.io/yaml
// (YAMLToJSONStrict, then encoding/json), which links go.yaml.in/yaml/v2
// into every ww process. Its init (two regexp.MustCompile) cost 0.09–0.19
// ms per start (GODEBUG=inittrace=1 bin/ww run -- /bin/true), measured as
// +0.05–0.07 on the ww run --with-fd x=0 / launcher ratio of ww-bench
// (1.43 without it, 1.51 with it); and decoding a 100-resource policy
// (BenchmarkDecode100, flow mappings as cmd/ww-bench writes them) took
// 1.0–1.7 ms, 64 % of it in go.yaml.in's parser: ~3 % of a runc run,
// where the target is 2 %. This reader of the subset below has no init.
// Measured when it came in (2 CPUs): the inits of a start, summed, went
// from 0.55 to 0.28 ms (median of 21 runs of the line above), the x=0
// ratio from 1.15–1.19 to 1.05–1.11 (5 runs each of ww-bench -run x=0),
// bin/ww from 6.3 to 5.7 MB, and BenchmarkDecode100 from 0.86–1.01 ms,
// 453 kB and 8631 allocs to 0.16–0.27 ms (most runs 0.17), 133 kB and
// 2503 allocs.
// sigs.k8s.io/yaml stays in the tests as the reference:
// TestYAMLSubsetMatchesYAML and FuzzYAMLSubset check that whatever this
// reader accepts, the library accepts too and reads as the same value.
// Should the library stop costing a start, go back to it.
//
// The subset: one document (an optional leading "---", an optional
// closing "..."), block mappings and block sequences indented with
// spaces, flow sequences and mappings that end on the line they start,
// plain scalars and single- or double-quoted scalars on one line,
// comments. Everything else is refused with its line and column: tabs
// (even in comments), CR line ends, a byte order mark, anchors, aliases,
// tags, block scalars (| and >), scalars and flow collections (JSON too)
// over several lines, directives, more documents, complex and merge keys,
// a key given twice, plain keys that YAML reads as other than a string,
// plain values that it reads as a timestamp or an infinite number, and
// in flow collections a trailing comma, a missing value ({a: }) or a "?"
// or a final ":" in a plain scalar. Plain values
// resolve as go.yaml.in/yaml/v2 resolves them (YAML 1.1): null, bool
// (yes, on, …), int and float become nil, bool and json.Number, so that
// decode's checks say what they said of the library's result.

// maxYAMLDepth bounds nesting: a policy nests 4 deep, and recursion on a
// 1 MiB file of "[" must stop early.
const maxYAMLDepth = 64

// maxKeyLen is the longest key read: the YAML library refuses a key of
// more than 1024 characters (a simple key's limit).
const maxKeyLen = 1000

// yamlDocument reads data, a document of the YAML subset above, as the
// values decode reads: yamlMap, []any, string, json.Number, bool and nil
// (for an empty document too).
func yamlDocument(data []byte) (any, error) {
	if err := checkYAMLText(data); err != nil {
		return nil, err
	}
	p := &yamlParser{lines: strings.Split(string(data), "\n")}
	if err := p.frame(); err != nil {
		return nil, err
	}
	p.line = p.skip(p.line)
	if p.line == p.end {
		return nil, nil
	}
	v, err := p.blockNode(indent(p.lines[p.line]))
	if err != nil {
		return nil, err
	}
	if p.line = p.skip(p.line); p.line != p.end {
		return nil, p.errAt(p.line, indent(p.lines[p.line]), "more content after the document's top node")
	}
	return v, nil
}

// yamlMap is a mapping of the document: its pairs in the file's order,
// each key once. A slice, not a Go map: a policy's mappings hold few keys
// (a resource's two), where a map costs about 300 bytes and two
// allocations. Measured in a fresh process (Load of cmd/ww-bench's
// policy of 100 resources, median of 200, 2026-12-01): 0.20 ms with
// maps, key paths and boxed keys; 0.17 ms with the last two left out;
// 0.15 ms with this.
type yamlMap []yamlPair

type yamlPair struct {
	key string
	val any
}

// get returns the value of key k and whether m has it.
func (m yamlMap) get(k string) (any, bool) {
	for i := range m {
		if m[i].key == k {
			return m[i].val, true
		}
	}
	return nil, false
}

// keys is a yamlMap's set of keys, to refuse a key given twice: a scan
// of the pairs up to a few keys, a Go map from then on (the resources of
// a large policy).
type keys struct {
	set map[string]struct{}
}

// maxScan is the most pairs searched one by one for a key.
const maxScan = 16

// has reports whether m, which add was called for with each of its keys,
// has key k.
func (ks *keys) has(m yamlMap, k string) bool {
	if ks.set != nil {
		_, ok := ks.set[k]
		return ok
	}
	_, ok := m.get(k)
	return ok
}

// add records that m, whose last pair is new, has key k.
func (ks *keys) add(m yamlMap, k string) {
	switch {
	case ks.set != nil:
		ks.set[k] = struct{}{}
	case len(m) > maxScan:
		ks.set = make(map[string]struct{}, 2*len(m))
		for _, p := range m {
			ks.set[p.key] = struct{}{}
		}
	}
}

// yamlParser reads the lines of one document; the parse moves line by
// line, each block node starting at a column of the current line.
type yamlParser struct {
	lines []string
	line  int // the current line
	end   int // the line after the document: "..." or len(lines)
	depth int
}

// errAt is an error at line i and byte column col, shown as line:column
// counted from 1 in characters.
func (p *yamlParser) errAt(i, col int, format string, a ...any) error {
	l := p.lines[i]
	col = utf8.RuneCountInString(l[:min(col, len(l))]) + 1
	return fmt.Errorf("line %d:%d: %s", i+1, col, fmt.Sprintf(format, a...))
}

// checkYAMLText refuses what the YAML library refuses as text, and tabs
// and line breaks other than "\n", whose meaning in indentation and
// scalars the subset leaves out.
func checkYAMLText(data []byte) error {
	line, col := 1, 1
	for i := 0; i < len(data); {
		// Printable ASCII, most of a policy, without decoding a rune:
		// each byte decoded cost 40 instructions, 0.3 million for a
		// policy of 100 resources at every ww runtime start.
		if c := data[i]; 0x20 <= c && c <= 0x7E {
			i++
			col++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		switch {
		case r == '\n':
			line, col = line+1, 0
		case r == '\t':
			return fmt.Errorf("line %d:%d: a tab; indent and separate with spaces", line, col)
		case r == utf8.RuneError && n == 1:
			return fmt.Errorf("line %d:%d: not UTF-8", line, col)
		case !yamlPrintable(r):
			return fmt.Errorf("line %d:%d: character %U is not allowed", line, col, r)
		}
		i += n
		col++
	}
	return nil
}

// yamlPrintable reports whether YAML allows r in a document, less the
// line breaks other than "\n" (NEL, LS, PS) and the byte order mark.
func yamlPrintable(r rune) bool {
	switch {
	case r == 0x2028 || r == 0x2029 || r == 0xFEFF:
		return false
	case 0x20 <= r && r <= 0x7E, 0xA0 <= r && r <= 0xD7FF, 0xE000 <= r && r <= 0xFFFD, 0x10000 <= r && r <= 0x10FFFF:
		return true
	}
	return false
}

// frame finds the document: after an optional "---" line, up to a "..."
// line or the end. Another "---" would start a second document.
func (p *yamlParser) frame() error {
	p.end = len(p.lines)
	i := p.skip(0)
	if i < p.end && strings.HasPrefix(p.lines[i], "%") {
		return p.errAt(i, 0, "directives (%%) are not supported")
	}
	if i < p.end && isMarker(p.lines[i], "---") {
		if !isBlankOrComment(p.lines[i][3:]) {
			return p.errAt(i, 3, `content after "---"; start it on the next line`)
		}
		i++
	}
	p.line = i
	for ; i < len(p.lines); i++ {
		switch {
		case isMarker(p.lines[i], "---"):
			return p.errAt(i, 0, "a second document; a policy is one")
		case isMarker(p.lines[i], "..."):
			p.end = i
			if p.skip(p.line) == i {
				return p.errAt(i, 0, `"..." ends a document without content`)
			}
			if !isBlankOrComment(p.lines[i][3:]) {
				return p.errAt(i, 3, `content after "..."`)
			}
			for j := i + 1; j < len(p.lines); j++ {
				if !isBlankOrComment(p.lines[j]) {
					return p.errAt(j, indent(p.lines[j]), `content after "..."; a policy is one document`)
				}
			}
			return nil
		}
	}
	return nil
}

// isMarker reports whether line is the document marker m ("---" or
// "...") at column 0, alone or before a space.
func isMarker(line, m string) bool {
	return strings.HasPrefix(line, m) && (len(line) == 3 || line[3] == ' ')
}

// isBlankOrComment reports whether s holds nothing but spaces and a
// comment.
func isBlankOrComment(s string) bool {
	s = strings.TrimLeft(s, " ")
	return s == "" || s[0] == '#'
}

// skip returns the first line from i on with content, or p.end.
func (p *yamlParser) skip(i int) int {
	for i < p.end && isBlankOrComment(p.lines[i]) {
		i++
	}
	return i
}

// indent is the number of spaces line starts with.
func indent(line string) int { return len(line) - len(strings.TrimLeft(line, " ")) }

// isEntry reports whether s starts a block sequence entry: "-" alone or
// before a space.
func isEntry(s string) bool { return s != "" && s[0] == '-' && (len(s) == 1 || s[1] == ' ') }

// skipSpaces returns the index of the first byte from i on of s that is
// not a space.
func skipSpaces(s string, i int) int {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}
