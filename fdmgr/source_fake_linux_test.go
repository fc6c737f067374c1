package fdmgr

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// sourceNull is a kind that only this test knows: "null:r" or "null:w",
// /dev/null opened for reading or writing. All it takes is what a new
// kind takes: a type with a parser and a Linux opener, and a row.
const sourceNull SourceKind = "null"

type nullSource struct{}

func (nullSource) parse(text, rest string) (Source, error) {
	switch OpenMode(rest) {
	case OpenRead, OpenWrite:
		return Source{Path: "/dev/null", Mode: OpenMode(rest)}, nil
	}
	return Source{}, fmt.Errorf("source %q is not null:r or null:w", text)
}

func (nullSource) open(s Source) (int, *made, error) {
	flags := unix.O_RDONLY
	if s.Mode == OpenWrite {
		flags = unix.O_WRONLY
	}
	fd, err := unix.Open(s.Path, flags|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, nil, err
	}
	fd, err = aboveStdio(fd)
	return fd, nil, err
}

// TestNewKind adds a kind through one row, and checks that parsing, usage
// text, error lists and opening all pick it up, while the table ww uses
// stays without it.
func TestNewKind(t *testing.T) {
	table := append(slices.Clone(sourceKinds), sourceKind{kind: sourceNull, usage: "null:r|w", impl: nullSource{}})

	s, err := table.parse("null:w")
	if want := (Source{Kind: sourceNull, Path: "/dev/null", Mode: OpenWrite, Text: "null:w"}); err != nil || s != want {
		t.Fatalf(`parse("null:w") = %+v, %v; want %+v`, s, err, want)
	}
	if _, err := table.parse("null:x"); err == nil || err.Error() != `source "null:x" is not null:r or null:w` {
		t.Errorf(`parse("null:x") error %v`, err)
	}
	if got := table.usage(); got[len(got)-1] != "null:r|w" {
		t.Errorf("usage %q does not end with the new kind's", got)
	}
	opened := PrefixList(table.kinds(func(row sourceKind) bool { return !row.held }))
	if !strings.HasSuffix(opened, `, "listen:" or "null:"`) {
		t.Errorf("opened kinds %q do not end with null:", opened)
	}
	fd, created, err := table.open(s)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFD(fd)
	if created != nil || fd < FirstFD {
		t.Errorf("open(%+v) = fd %d, created %v", s, fd, created)
	}
	if _, err := unix.Write(fd, []byte("x")); err != nil {
		t.Errorf("write to the opened fd: %v", err)
	}

	if _, err := ParseSource("null:w"); err == nil || err.Error() != `source "null:w" is of no known kind` {
		t.Errorf(`ParseSource("null:w") error %v, want no known kind`, err)
	}
}
