package main

import (
	"strings"
	"testing"

	"github.com/ww-dev/ww/fdmgr"
)

// TestRunUsageSources checks that ww run --help lists every kind of
// SOURCE, each on its own line, as fdmgr's table of kinds gives it.
func TestRunUsageSources(t *testing.T) {
	for i, line := range fdmgr.SourceUsage() {
		want := "\n        " + line + "\n"
		if i == 0 {
			want = "\nSOURCE: " + line + "\n"
		}
		if !strings.Contains(runUsage(), want) {
			t.Errorf("ww run usage does not show %q as %q:\n%s", fdmgr.SourceKinds()[i], want, runUsage())
		}
	}
}
