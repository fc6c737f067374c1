//go:build !linux

package fdmgr

import (
	"errors"
	"runtime"
	"testing"
)

// TestHandOverUnsupported checks that off Linux requests are parsed but
// nothing is opened, and the error says why.
func TestHandOverUnsupported(t *testing.T) {
	want := "handing fds to a program is not supported on " + runtime.GOOS
	tests := []struct {
		name    string
		value   string
		check   func(*FDManager) error
		wantErr string
	}{
		{"db=3 checked, unsupported", "db=3", (*FDManager).CheckFDs, `"db=3": ` + want},
		{"db=3 prepared, unsupported", "db=3", (*FDManager).PrepareFDs, `"db=3": ` + want},
		{"log=file:/x prepared, unsupported", "log=file:/x", (*FDManager).PrepareFDs, `"log=file:/x": ` + want},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewFDManager()
			if err := m.ParseFDFlag(tc.value); err != nil {
				t.Fatal(err)
			}
			err := tc.check(m)
			if err == nil || err.Error() != tc.wantErr || !errors.Is(err, errors.ErrUnsupported) {
				t.Fatalf("error %v, want %q and errors.ErrUnsupported", err, tc.wantErr)
			}
			if err := m.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}
