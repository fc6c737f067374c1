package cribed

import (
	"slices"
	"testing"
)

func TestParseCRILog(t *testing.T) {
	const ts = "2026-12-01T00:00:00.000000000Z"
	tests := []struct {
		name, log string
		want      []string
	}{
		{"empty log, no lines", "", nil},
		{"one full line, its text", ts + " stdout F hello\n", []string{"hello"}},
		{"partial then full, joined", ts + " stdout P hel\n" + ts + " stdout F lo\n", []string{"hello"}},
		{"partial last line, left out", ts + " stdout F a\n" + ts + " stdout P b\n", []string{"a"}},
		{"empty full line, an empty line", ts + " stderr F\n", []string{""}},
		{"text with spaces, kept whole", ts + " stdout F a b  c\n", []string{"a b  c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseCRILog(tt.log); !slices.Equal(got, tt.want) {
				t.Errorf("parseCRILog(%q) = %q, want %q", tt.log, got, tt.want)
			}
		})
	}
}

func TestLogName(t *testing.T) {
	for attempt, want := range map[uint32]string{0: "probe.log", 1: "probe.1.log", 12: "probe.12.log"} {
		if got := logName("probe", attempt); got != want {
			t.Errorf("logName(probe, %d) = %q, want %q", attempt, got, want)
		}
	}
}
