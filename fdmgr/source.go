package fdmgr

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// SourceKind tells where a named fd comes from.
type SourceKind int

const (
	// SourceFD is an fd that ww already holds: "N" or "fd:N".
	SourceFD SourceKind = iota
)

// Source is a parsed SOURCE of a NAME=SOURCE request.
type Source struct {
	Kind SourceKind
	// FD is the fd number of a SourceFD.
	FD int
	// Text is the source as written.
	Text string
}

// ParseSource parses the SOURCE part of NAME=SOURCE. It checks syntax only:
// whether an fd is open, or a file exists, is found out when the fd is
// prepared.
func ParseSource(text string) (Source, error) {
	if text == "" {
		return Source{}, fmt.Errorf("source is empty")
	}
	if n, ok := strings.CutPrefix(text, "fd:"); ok {
		return parseFDSource(text, n)
	}
	if !strings.Contains(text, ":") {
		return parseFDSource(text, text)
	}
	return Source{}, fmt.Errorf("source %q is of no known kind", text)
}

func parseFDSource(text, num string) (Source, error) {
	if num == "" {
		return Source{}, fmt.Errorf("fd %q is empty", text)
	}
	for i := 0; i < len(num); i++ {
		if !isDigit(num[i]) && !(i == 0 && (num[i] == '-' || num[i] == '+')) {
			return Source{}, fmt.Errorf("fd %q is not a number", num)
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	switch {
	case err != nil && strings.HasPrefix(num, "-"):
		return Source{}, fmt.Errorf("fd %q is negative", num)
	case err != nil || n > math.MaxInt32:
		return Source{}, fmt.Errorf("fd %q is out of range", num)
	case n < 0:
		return Source{}, fmt.Errorf("fd %q is negative", num)
	case num[0] == '+' || num[0] == '-':
		return Source{}, fmt.Errorf("fd %q is not a number", num)
	}
	return Source{Kind: SourceFD, FD: int(n), Text: text}, nil
}

// IsFD reports whether the source is an fd number that ww already holds.
func (s Source) IsFD() bool { return s.Kind == SourceFD }

// String returns the source as written.
func (s Source) String() string { return s.Text }
