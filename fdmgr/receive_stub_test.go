//go:build !unix

package fdmgr

import (
	"errors"
	"runtime"
	"testing"
)

// TestReceiveUnsupported checks that where no fd can be received, an
// environment without fds gives an empty set and one with fds a clear
// error.
func TestReceiveUnsupported(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		wantErr string
	}{
		{"no fds, empty set", []string{"PATH=/bin"}, ""},
		{"LISTEN_PID of another process, empty set", []string{"LISTEN_PID=1", "LISTEN_FDS=1"}, ""},
		{"WW_FD_DB=3, unsupported", []string{"WW_FD_DB=3"}, `WW_FD_DB="3": receiving fds is not supported on ` + runtime.GOOS},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Receive(tc.environ)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || !errors.Is(err, errors.ErrUnsupported) {
					t.Fatalf("Receive error %v, want %q and errors.ErrUnsupported", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Listener("db"); err == nil || err.Error() != `no fd named "db": WW_FD_DB is not set` {
				t.Errorf("Listener(db) error %v", err)
			}
			if err := r.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}
