package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestSigfwdABIMatchesXSys checks the handler's numbers and offsets
// against golang.org/x/sys/unix wherever it has them. The system call
// numbers are x/sys's by definition; their rows keep them so.
func TestSigfwdABIMatchesXSys(t *testing.T) {
	var info kernelSiginfo
	var xinfo unix.Siginfo
	// The union after si_code holds pointers: it starts at the next
	// multiple of 8 (include/uapi/asm-generic/siginfo.h), and si_pid first
	// in it. x/sys leaves the union unnamed.
	union := (unsafe.Offsetof(xinfo.Code) + unsafe.Sizeof(xinfo.Code) + 7) &^ 7
	tests := []struct {
		name      string
		got, want uintptr
	}{
		{"rt_sigaction, x/sys's number", sysRtSigaction, unix.SYS_RT_SIGACTION},
		{"rt_sigreturn, x/sys's number", sysRtSigreturn, unix.SYS_RT_SIGRETURN},
		{"kill, x/sys's number", sysKill, unix.SYS_KILL},
		{"exit_group, x/sys's number", sysExitGroup, unix.SYS_EXIT_GROUP},
		{"pidfd_send_signal, x/sys's number", sysPidfdSendSignal, unix.SYS_PIDFD_SEND_SIGNAL},
		{"si_signo, x/sys's offset", unsafe.Offsetof(info.signo), unsafe.Offsetof(xinfo.Signo)},
		{"si_errno, x/sys's offset", unsafe.Offsetof(info.errno), unsafe.Offsetof(xinfo.Errno)},
		{"si_code, x/sys's offset", unsafe.Offsetof(info.code), unsafe.Offsetof(xinfo.Code)},
		{"si_pid, first in the union after si_code", unsafe.Offsetof(info.pid), union},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %d, want %d", tc.got, tc.want)
			}
		})
	}
	if unsafe.Sizeof(info) > unsafe.Sizeof(xinfo) {
		t.Errorf("kernelSiginfo is %d bytes, more than x/sys's whole Siginfo (%d)", unsafe.Sizeof(info), unsafe.Sizeof(xinfo))
	}
}

// TestSiginfoFromKernel has the probe send itself a signal by kill(2)
// and by tgkill(2) and take it with sigtimedwait(2): the siginfo the
// kernel fills in must read, through kernelSiginfo's offsets, as the
// handler expects (x/sys has no SI_USER, SI_TKILL or si_pid).
func TestSiginfoFromKernel(t *testing.T) {
	sig := unix.SIGUSR2
	tests := []struct {
		name string
		how  string
		code int32
	}{
		{"kill, SI_USER from the probe's pid", "kill", siUser},
		{"tgkill, SI_TKILL from the probe's pid", "tgkill", siTkill},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := strconv.Itoa(int(sig))
			cmd := exec.Command(probeBin, "blocked", n, probeBin, "siginfo", tc.how, n)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("probe: %v (%s)", err, stderr.String())
			}
			r := parseReport(t, string(out))
			if len(r.Siginfo) < int(unsafe.Sizeof(kernelSiginfo{})) {
				t.Fatalf("siginfo is %d bytes", len(r.Siginfo))
			}
			var info kernelSiginfo
			field := func(off uintptr) int32 { return int32(binary.NativeEndian.Uint32(r.Siginfo[off:])) }
			got := []int32{field(unsafe.Offsetof(info.signo)), field(unsafe.Offsetof(info.code)), field(unsafe.Offsetof(info.pid))}
			want := []int32{int32(sig), tc.code, int32(r.PID)}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("si_signo, si_code, si_pid = %v, want %v", got, want)
			}
		})
	}
}

// TestSigactionFromKernel sets SIGUSR2's action through kernelSigaction
// and reads it back (x/sys has neither the type nor the SA_ flags): since
// Linux 5.11 the kernel clears the sa_flags bits it does not know, it
// always drops SIGKILL and SIGSTOP from sa_mask, and SIG_DFL takes the
// signal off the caught ones in /proc/self/status. A flag's wrong value,
// or a field in the wrong place, shows; so does a wrong sigset size, which
// rt_sigaction(2) refuses. The Go runtime's action is put back after each
// row; nothing sends this process SIGUSR2 meanwhile.
func TestSigactionFromKernel(t *testing.T) {
	if !kernelAtLeast(t, 5, 11) {
		t.Skip("needs Linux 5.11 or later, which clears the sa_flags bits it does not know")
	}
	kill, stop := uint64(1)<<(unix.SIGKILL-1), uint64(1)<<(unix.SIGSTOP-1)
	tests := []struct {
		name string
		act  kernelSigaction
		want kernelSigaction
	}{
		{"SA_SIGINFO, kept", kernelSigaction{flags: saSiginfo}, kernelSigaction{flags: saSiginfo}},
		{"SA_RESTORER, kept with the restorer", kernelSigaction{flags: saRestorer, restorer: 0x1234},
			kernelSigaction{flags: saRestorer, restorer: 0x1234}},
		{"SA_ONSTACK, kept", kernelSigaction{flags: saOnstack}, kernelSigaction{flags: saOnstack}},
		{"SA_RESTART, kept", kernelSigaction{flags: saRestart}, kernelSigaction{flags: saRestart}},
		{"the four flags of the handler, kept", kernelSigaction{flags: saSiginfo | saRestorer | saOnstack | saRestart},
			kernelSigaction{flags: saSiginfo | saRestorer | saOnstack | saRestart}},
		{"0x100, no flag, cleared", kernelSigaction{flags: 0x100}, kernelSigaction{}},
		{"every signal in the mask, SIGKILL and SIGSTOP dropped", kernelSigaction{mask: ^uint64(0)},
			kernelSigaction{mask: ^uint64(0) &^ (kill | stop)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := setSigaction(t, tc.act); got != tc.want {
				t.Errorf("read back %+v, want %+v", got, tc.want)
			}
		})
	}
	t.Run("SIG_DFL beside non-zero fields, SIGUSR2 no longer caught", func(t *testing.T) {
		caughtBefore := caughtSignals(t)&(1<<(unix.SIGUSR2-1)) != 0
		var caughtAfter bool
		// Only the handler is 0 (SIG_DFL): a field in its place would
		// leave the signal caught.
		dfl := kernelSigaction{handler: 0, flags: saRestart, restorer: 0x1234, mask: 1}
		setSigactionThen(t, dfl, func() {
			caughtAfter = caughtSignals(t)&(1<<(unix.SIGUSR2-1)) != 0
		})
		if !caughtBefore || caughtAfter {
			t.Errorf("SIGUSR2 caught before %v, after SIG_DFL %v; want true, false", caughtBefore, caughtAfter)
		}
	})
	t.Run("sigset of 16 bytes, refused", func(t *testing.T) {
		var old kernelSigaction
		_, _, errno := unix.RawSyscall6(sysRtSigaction, uintptr(unix.SIGUSR2), 0, uintptr(unsafe.Pointer(&old)), 2*kernelSigsetSize, 0, 0)
		if !errors.Is(errno, unix.EINVAL) {
			t.Errorf("rt_sigaction with a sigset of %d bytes: %v, want %v", 2*kernelSigsetSize, errno, unix.EINVAL)
		}
	})
}

// setSigaction sets SIGUSR2's action to act, returns what the kernel
// kept, and puts the old action back.
func setSigaction(t *testing.T, act kernelSigaction) kernelSigaction {
	t.Helper()
	var got kernelSigaction
	setSigactionThen(t, act, func() {
		if err := sigaction(unix.SIGUSR2, nil, &got); err != nil {
			t.Errorf("read SIGUSR2's action: %v", err)
		}
	})
	return got
}

// setSigactionThen sets SIGUSR2's action to act, calls f, and puts the old
// action back.
func setSigactionThen(t *testing.T, act kernelSigaction, f func()) {
	t.Helper()
	var old kernelSigaction
	if err := sigaction(unix.SIGUSR2, &act, &old); err != nil {
		t.Fatalf("set SIGUSR2's action to %+v: %v", act, err)
	}
	defer func() {
		if err := sigaction(unix.SIGUSR2, &old, nil); err != nil {
			t.Fatalf("put SIGUSR2's action back: %v", err)
		}
	}()
	f()
}

// sigaction is rt_sigaction(2) as the handler calls it.
func sigaction(sig unix.Signal, act, old *kernelSigaction) error {
	_, _, errno := unix.RawSyscall6(sysRtSigaction, uintptr(sig), uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(old)), kernelSigsetSize, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// kernelAtLeast reports whether the running kernel is major.minor or
// later.
func kernelAtLeast(t *testing.T, major, minor int) bool {
	t.Helper()
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	release := unix.ByteSliceToString(u.Release[:])
	var ma, mi int
	if _, err := fmt.Sscanf(release, "%d.%d", &ma, &mi); err != nil {
		t.Fatalf("kernel release %q: %v", release, err)
	}
	return ma > major || ma == major && mi >= minor
}

// caughtSignals returns SigCgt of /proc/self/status: the signals that
// have a handler (bit N-1 for signal N).
func caughtSignals(t *testing.T) uint64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if hex, ok := strings.CutPrefix(s.Text(), "SigCgt:"); ok {
			v, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
			if err != nil {
				t.Fatalf("SigCgt %q: %v", hex, err)
			}
			return v
		}
	}
	t.Fatalf("no SigCgt in /proc/self/status (%v)", s.Err())
	return 0
}

// asmNumber is a number written out in an instruction: an immediate
// ($13) or a displacement (8(R12)). Offsets from the frame pointer
// (name+8(FP)) are vet's to check.
var asmNumber = regexp.MustCompile(`\$-?[0-9]\w*|(?:^|[\s,])-?[0-9]\w*\(`)

// asmNumbers returns the numbers in the instructions of src other than
// 0, 1 and INT $3's: those the kernel would have to agree with.
func asmNumbers(src string) []string {
	var found []string
	for line := range strings.Lines(src) {
		line, _, _ = strings.Cut(line, "//")
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "TEXT") || strings.HasPrefix(line, "#") || line == "INT\t$3" {
			continue
		}
		for _, m := range asmNumber.FindAllString(line, -1) {
			n := strings.Trim(m, "$( \t,")
			if n != "0" && n != "1" {
				found = append(found, strings.TrimSpace(m))
			}
		}
	}
	return found
}

// TestAsmNumbers checks the scan that keeps the handler's numbers in Go.
func TestAsmNumbers(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"syscall number, found", "\tMOVQ\t$62, AX\n", "[$62]"},
		{"negative immediate, found", "\tCMPL\tAX, $-6\n", "[$-6]"},
		{"hex immediate, found", "\tMOVQ\t$0x3e, AX\n", "[$0x3e]"},
		{"displacement, found", "\tMOVL\t8(R12), AX\n", "[8(]"},
		{"displacement after a comma, found", "\tMOVQ\tAX, 16(R12)\n", "[16(]"},
		{"go_asm.h names, none", "\tMOVQ\t$const_sysKill, AX\n\tMOVL\tkernelSiginfo_code(R12), AX\n", "[]"},
		{"0 and 1, none", "\tMOVQ\t$1, R9\n\tCMPQ\tAX, $0\n", "[]"},
		{"frame offsets and TEXT, none", "TEXT ·f(SB),NOSPLIT,$0-16\n\tMOVQ\tAX, ret+8(FP)\n", "[]"},
		{"INT $3, none", "\tINT\t$3\n", "[]"},
		{"number in a comment, none", "\tSYSCALL\t\t// kill(2), number 62, $62\n", "[]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := fmt.Sprint(asmNumbers(tc.src)); got != tc.want {
				t.Errorf("asmNumbers(%q) = %s, want %s", tc.src, got, tc.want)
			}
		})
	}
	src, err := os.ReadFile("sigfwd_linux_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	if got := asmNumbers(string(src)); len(got) != 0 {
		t.Errorf("sigfwd_linux_amd64.s spells %v: give each a name in sigfwd_abi_linux_amd64.go and use it through go_asm.h", got)
	}
}
