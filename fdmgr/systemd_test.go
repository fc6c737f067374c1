package fdmgr

import (
	"slices"
	"strings"
	"testing"
)

func TestSystemdEnvVars(t *testing.T) {
	tests := []struct {
		name    string
		first   int
		values  []string
		want    []string
		wantErr string
	}{
		{"fds and sources, names in landing order", 0, []string{"web=listen:tcp::80", "b=4", "a=3"},
			[]string{"LISTEN_FDS=3", "LISTEN_FDNAMES=a:b:web", "LISTEN_PID=42"}, ""},
		{"no requests, zero fds", 0, nil,
			[]string{"LISTEN_FDS=0", "LISTEN_FDNAMES=", "LISTEN_PID=42"}, ""},
		{"fds after a caller's, refused", 5, []string{"a=3"},
			nil, "socket activation needs the fds at 3 and up, not at 5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewFDManager()
			m.First = tc.first
			if err := m.ParseFDFlags(tc.values...); err != nil {
				t.Fatal(err)
			}
			got, err := m.SystemdEnvVars(42)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("SystemdEnvVars = %q, want %q", got, tc.want)
			}
		})
	}
}
