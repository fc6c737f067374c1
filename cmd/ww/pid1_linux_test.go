package main

import (
	"syscall"
	"testing"
)

// TestParseProcStatus reads the signal masks and the pid namespace out
// of /proc/PID/status text.
func TestParseProcStatus(t *testing.T) {
	const masks = "SigQ:\t0/7\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n" +
		"SigBlk:\t0000000000000002\nSigIgn:\t0000000000000004\nSigCgt:\t0000000000004000\n"
	tests := []struct {
		name    string
		text    string
		want    procStatus
		wantErr string
	}{
		{"pid 1 of a namespace of its own, init", "Name:\tx\nNSpid:\t4321\t1\n" + masks,
			procStatus{blocked: 2, ignored: 4, caught: 0x4000, nsInit: true}, ""},
		{"pid 7 of its namespace, not init", "NSpid:\t4321\t7\n" + masks,
			procStatus{blocked: 2, ignored: 4, caught: 0x4000}, ""},
		{"pid 1 of the reader's namespace, not init", "NSpid:\t1\n" + masks,
			procStatus{blocked: 2, ignored: 4, caught: 0x4000}, ""},
		{"no masks, error", "Name:\tx\nNSpid:\t5\t1\n", procStatus{}, "status: no signal masks"},
		{"bad mask, error", "SigBlk:\tzz\n", procStatus{}, `status SigBlk: "zz": strconv.ParseUint: parsing "zz": invalid syntax`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseProcStatus([]byte(tc.text))
			switch {
			case tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr):
				t.Errorf("error %v, want %s", err, tc.wantErr)
			case tc.wantErr == "" && err != nil:
				t.Errorf("error %v", err)
			case got != tc.want:
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestProcStatusSignals tells caught, blocked and ignored signals apart.
func TestProcStatusSignals(t *testing.T) {
	p := procStatus{blocked: 1 << (syscall.SIGINT - 1), ignored: 1 << (syscall.SIGHUP - 1), caught: 1 << (syscall.SIGTERM - 1)}
	tests := []struct {
		sig            syscall.Signal
		takes, ignores bool
	}{
		{syscall.SIGTERM, true, false},
		{syscall.SIGINT, true, false},
		{syscall.SIGHUP, false, true},
		{syscall.SIGQUIT, false, false},
	}
	for _, tc := range tests {
		if got := p.takes(tc.sig); got != tc.takes {
			t.Errorf("takes(%v) = %v, want %v", tc.sig, got, tc.takes)
		}
		if got := p.ignores(tc.sig); got != tc.ignores {
			t.Errorf("ignores(%v) = %v, want %v", tc.sig, got, tc.ignores)
		}
	}
}
