//go:build !race

package fastpath

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// TestEarlyNumbers checks what entry (early_linux_amd64.s) relies
// on: arch_prctl's system call number against x/sys/unix, ARCH_SET_FS
// and ARCH_GET_FS against the kernel's header where it is installed,
// and pre zero as the process starts, the stand-in goroutine's stack
// guard (its third word: the runtime's g has stack.lo, stack.hi, then
// stackguard0) among it.
func TestEarlyNumbers(t *testing.T) {
	if sysArchPrctl != unix.SYS_ARCH_PRCTL {
		t.Errorf("sysArchPrctl = %d, x/sys/unix says %d", sysArchPrctl, unix.SYS_ARCH_PRCTL)
	}
	if b, err := os.ReadFile("/usr/include/x86_64-linux-gnu/asm/prctl.h"); err != nil {
		t.Logf("ARCH_SET_FS not checked: %v", err)
	} else if m := regexp.MustCompile(`#define ARCH_SET_FS\s+(0x[0-9a-fA-F]+)`).FindSubmatch(b); m == nil {
		t.Errorf("no ARCH_SET_FS in asm/prctl.h")
	} else if v, _ := strconv.ParseUint(string(m[1]), 0, 64); v != archSetFS {
		t.Errorf("archSetFS = %#x, asm/prctl.h says %s", archSetFS, m[1])
	}
	if b, err := os.ReadFile("/usr/include/x86_64-linux-gnu/asm/prctl.h"); err == nil {
		m := regexp.MustCompile(`#define ARCH_GET_FS\s+(0x[0-9a-fA-F]+)`).FindSubmatch(b)
		if v, _ := strconv.ParseUint(string(m[1]), 0, 64); m == nil || v != archGetFS {
			t.Errorf("archGetFS = %#x, asm/prctl.h says %q", archGetFS, m)
		}
	}
	if pre.g != [len(pre.g)]uintptr{} || pre.tls != [2]uintptr{} || pre.fs != 0 {
		t.Errorf("pre not zero: g %v, tls %v, fs %#x", pre.g, pre.tls, pre.fs)
	}
}

// TestAddOneProc checks what entry is told to move for OneProcEnv: the
// words from argc to the environment's last entry, for environments
// with and without entries, none where one sets GOMAXPROCS or where a
// dynamic loader ran (pre.fs set).
func TestAddOneProc(t *testing.T) {
	defer func() { pre.fs, pre.shift, pre.oneProc = 0, 0, [len(pre.oneProc)]byte{} }()
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		fs   uintptr
		want uintptr
	}{
		{"no environment", []string{"ww", "run"}, nil, 0, 4},
		{"entries", []string{"ww"}, []string{"A=1", "GOMAXPROCS", "GOMAXPROC=2", "B"}, 0, 7},
		{"GOMAXPROCS set", []string{"ww", "run"}, []string{"A=1", "GOMAXPROCS=4"}, 0, 0},
		{"GOMAXPROCS empty", []string{"ww"}, []string{"GOMAXPROCS="}, 0, 0},
		{"a dynamic loader ran", []string{"ww"}, []string{"A=1"}, 0x7f00, 0},
	} {
		var block []*byte
		for _, s := range tc.args {
			block = append(block, &append([]byte(s), 0)[0])
		}
		block = append(block, nil)
		for _, s := range tc.env {
			block = append(block, &append([]byte(s), 0)[0])
		}
		block = append(block, nil)
		pre.fs, pre.shift = tc.fs, 0
		addOneProc(len(tc.args), &block[0])
		if pre.shift != tc.want {
			t.Errorf("%s: shift %d, want %d", tc.name, pre.shift, tc.want)
		}
		if tc.want != 0 && string(pre.oneProc[:]) != OneProcEnv+"\x00" {
			t.Errorf("%s: oneProc %q", tc.name, pre.oneProc[:])
		}
		if AddedOneProc() != (tc.want != 0) {
			t.Errorf("%s: AddedOneProc %v", tc.name, AddedOneProc())
		}
	}
}
