package fdmgr

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// readmeSources returns, for each row of the README's "## Sources" table,
// the code spans of its first cell.
func readmeSources(t *testing.T) [][]string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Sources\n")
	if !ok {
		t.Fatal(`README.md has no "## Sources" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	_, table, ok := strings.Cut(section, "\n|---|")
	if !ok {
		t.Fatal(`README.md's "## Sources" has no table`)
	}
	code := regexp.MustCompile("`([^`]*)`")
	var rows [][]string
	for _, line := range strings.Split(table, "\n")[1:] {
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			break // the table's end
		}
		var spans []string
		for _, m := range code.FindAllStringSubmatch(cells[1], -1) {
			spans = append(spans, m[1])
		}
		rows = append(rows, spans)
	}
	if len(rows) == 0 {
		t.Fatal(`README.md's "## Sources" table has no rows`)
	}
	return rows
}

// TestReadmeSources checks the README's table of sources against the
// table of kinds: each kind has a row, and no row names a kind the table
// lacks.
func TestReadmeSources(t *testing.T) {
	documented := make(map[SourceKind]bool)
	for _, spans := range readmeSources(t) {
		var kinds []SourceKind
		for _, span := range spans {
			if prefix, _, ok := strings.Cut(span, ":"); ok {
				kinds = append(kinds, SourceKind(prefix))
			}
		}
		if len(kinds) == 0 {
			t.Errorf("README row %q names no SOURCE of the form PREFIX:…", spans)
		}
		for _, k := range kinds {
			if _, ok := sourceKinds.lookup(k); !ok {
				t.Errorf("README row %q names kind %q, which the table lacks", spans, k)
			}
			documented[k] = true
		}
	}
	for _, k := range SourceKinds() {
		if !documented[k] {
			t.Errorf("kind %q has no row in README.md's table of sources", k)
		}
	}
}

// TestSourceKindsTable checks what the table says of each kind: its usage
// names its prefix, its prefix is its String, and only SourceFD is held.
func TestSourceKindsTable(t *testing.T) {
	if len(SourceKinds()) != len(sourceKinds) {
		t.Fatalf("SourceKinds() = %q, want every row of the table", SourceKinds())
	}
	seen := make(map[SourceKind]bool)
	for _, k := range SourceKinds() {
		if seen[k] {
			t.Errorf("kind %q has two rows", k)
		}
		seen[k] = true
		if k.String() == "" || strings.ContainsAny(k.String(), ":?") {
			t.Errorf("kind %q is not a prefix", k)
		}
		if !strings.Contains(k.Usage(), k.String()+":") {
			t.Errorf("kind %q usage %q does not show its prefix", k, k.Usage())
		}
		if k.Held() != (k == SourceFD) {
			t.Errorf("kind %q Held() = %v", k, k.Held())
		}
	}
	if u := SourceKind("bogus").Usage(); u != "" {
		t.Errorf(`SourceKind("bogus").Usage() = %q, want ""`, u)
	}
}

// TestSourceUsage checks that the usage lines and the list of opened
// kinds come from the table, in its order.
func TestSourceUsage(t *testing.T) {
	var usage []string
	var opened []SourceKind
	for _, row := range sourceKinds {
		usage = append(usage, row.usage)
		if !row.held {
			opened = append(opened, row.kind)
		}
	}
	if got := SourceUsage(); !slices.Equal(got, usage) {
		t.Errorf("SourceUsage() = %q, want the table's %q", got, usage)
	}
	if got := OpenedKinds(); !slices.Equal(got, opened) || slices.Contains(got, SourceFD) {
		t.Errorf("OpenedKinds() = %q, want %q", got, opened)
	}
}

func TestPrefixList(t *testing.T) {
	tests := []struct {
		name  string
		kinds []SourceKind
		want  string
	}{
		{"no kind, empty", nil, ""},
		{"one kind, its prefix quoted", []SourceKind{SourceTCP}, `"tcp:"`},
		{"two kinds, joined by or", []SourceKind{SourceUnix, SourceTCP}, `"unix:" or "tcp:"`},
		{"four kinds, commas then or", []SourceKind{SourceFile, SourceUnix, SourceTCP, SourceListen},
			`"file:", "unix:", "tcp:" or "listen:"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := PrefixList(tc.kinds); got != tc.want {
				t.Errorf("PrefixList(%q) = %q, want %q", tc.kinds, got, tc.want)
			}
		})
	}
}
