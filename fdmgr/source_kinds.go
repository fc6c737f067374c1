package fdmgr

import (
	"strconv"
	"strings"
)

// sourceKinds is the table of kinds of SOURCE, in the order usage text
// lists them; it is never changed. A new kind is a row here and a file of
// its own (source_KIND.go, with its opener in source_KIND_linux.go); the
// README's table of sources, the usage text and the error lists are
// tested against this one.
var sourceKinds = kindTable{
	{kind: SourceFD, usage: "N | fd:N", held: true, impl: fdSource{}},
	{kind: SourceFile, usage: "file:PATH[?mode=r|w|rw|a&create=PERM&dir=true]", impl: fileSource{}},
	{kind: SourceUnix, usage: "unix:PATH[?timeout=D]", impl: unixSource{}},
	{kind: SourceTCP, usage: "tcp:HOST:PORT[?timeout=D]", impl: tcpSource{}},
	{kind: SourceListen, usage: "listen:tcp|tcp6|udp|udp6:HOST:PORT | listen:unix:PATH", impl: listenSource{}},
}

// sourceKind is one row of the table: what ww knows of a kind of SOURCE
// besides what its own file says.
type sourceKind struct {
	kind SourceKind // the prefix, without the colon
	// usage is how a SOURCE of the kind is written, as usage text shows
	// it.
	usage string
	// held marks a source that is an fd the parent already holds, rather
	// than something it opens (see SourceKind.Held).
	held bool
	// impl parses a SOURCE of the kind and, on Linux, opens it.
	impl kindImpl
}

// kindTable is a table of kinds; sourceKinds is the one ww uses.
type kindTable []sourceKind

// lookup returns the row of kind k.
func (t kindTable) lookup(k SourceKind) (sourceKind, bool) {
	for _, row := range t {
		if row.kind == k {
			return row, true
		}
	}
	return sourceKind{}, false
}

// SourceKinds returns every kind of SOURCE, in the order usage text lists
// them.
func SourceKinds() []SourceKind { return sourceKinds.kinds(func(sourceKind) bool { return true }) }

// OpenedKinds returns the kinds of SOURCE that the parent opens itself:
// every kind but those that are Held.
func OpenedKinds() []SourceKind {
	return sourceKinds.kinds(func(row sourceKind) bool { return !row.held })
}

func (t kindTable) kinds(keep func(sourceKind) bool) []SourceKind {
	var kinds []SourceKind
	for _, row := range t {
		if keep(row) {
			kinds = append(kinds, row.kind)
		}
	}
	return kinds
}

// Usage returns how a SOURCE of kind k is written, as usage text shows
// it: "tcp:HOST:PORT[?timeout=D]". It is empty for a kind that the table
// lacks.
func (k SourceKind) Usage() string {
	row, _ := sourceKinds.lookup(k)
	return row.usage
}

// Held reports whether a source of kind k is an fd that the parent
// already holds (fd:N) rather than something it opens. Such a source
// means something only to the process that reads it, which is why a
// runtime wrapper refuses it in an annotation: whoever writes one cannot
// know the runtime's fds.
func (k SourceKind) Held() bool {
	row, _ := sourceKinds.lookup(k)
	return row.held
}

// SourceUsage returns the Usage of every kind, one to a line, for the
// SOURCE part of a usage text.
func SourceUsage() []string { return sourceKinds.usage() }

func (t kindTable) usage() []string {
	lines := make([]string, len(t))
	for i, row := range t {
		lines[i] = row.usage
	}
	return lines
}

// PrefixList names kinds by their prefixes, colon and all, quoted, in a
// list for an error message: "file:", "unix:", "tcp:" or "listen:".
func PrefixList(kinds []SourceKind) string {
	var b strings.Builder
	for i, k := range kinds {
		switch {
		case i == 0:
		case i == len(kinds)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(string(k) + ":"))
	}
	return b.String()
}
