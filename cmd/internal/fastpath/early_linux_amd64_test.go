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
