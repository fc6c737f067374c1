package fdmgr

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// noOpenat2Env switches the test binary into the child of
// TestOpenBeneathWithoutOpenat2.
const noOpenat2Env = "FDMGR_TEST_NO_OPENAT2"

// TestOpenBeneathWithoutOpenat2 opens sources beneath a folder, through
// the whole opener, in a child whose seccomp filter answers openat2 with
// ENOSYS, as a kernel older than 5.6 does: the walk takes over, refuses
// every ".." and symbolic link, and never reaches outside, races included.
func TestOpenBeneathWithoutOpenat2(t *testing.T) {
	if os.Getenv(noOpenat2Env) != "" {
		noOpenat2Child(t)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestOpenBeneathWithoutOpenat2$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), noOpenat2Env+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestOpenBeneathWithoutOpenat2") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	t.Logf("child:\n%s", out)
}

// denyOpenat2 makes openat2 fail with ENOSYS in every thread of this
// process, for good: a seccomp filter of four BPF instructions.
func denyOpenat2(t *testing.T) {
	t.Helper()
	filter := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // seccomp_data.nr
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: unix.SYS_OPENAT2, Jt: 0, Jf: 1},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	// TSYNC puts every thread of the process under the filter.
	if _, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC,
		uintptr(unsafe.Pointer(&prog))); errno != 0 {
		t.Fatalf("seccomp: %v", errno)
	}
	runtime.KeepAlive(filter)
	if _, err := unix.Openat2(unix.AT_FDCWD, ".", &unix.OpenHow{Flags: unix.O_PATH}); !errors.Is(err, unix.ENOSYS) {
		t.Fatalf("openat2 under the filter: %v, want ENOSYS", err)
	}
}

func noOpenat2Child(t *testing.T) {
	denyOpenat2(t)
	root, folder := beneathFixture(t)
	rawListener(t, unix.AF_UNIX, &unix.SockaddrUnix{Name: folder + "/live"}, 16)
	symlink := func(name string) string {
		return "open: too many levels of symbolic links: " + strconv.Quote(name) +
			" is a symbolic link, which is not followed beneath a folder on a kernel without openat2"
	}
	tests := []struct {
		name string
		text string // ROOT is the fixture's root, written as is
		want string // what a read gives; "" for a socket
		err  string // the reason, after `"x=SOURCE": `
	}{
		{"file, read", "file:ROOT/in/f", "inside", ""},
		{"file in a subfolder, read", "file:ROOT/in/sub/g", "inside", ""},
		{"file made, written", "file:ROOT/in/sub/new?mode=w&create=0600", "", ""},
		{"unix to a live socket, connected", "unix:ROOT/in/live", "", ""},
		{"listen in a subfolder, listening", "listen:unix:ROOT/in/sub/s", "", ""},
		{".. inside, escapes", "file:ROOT/in/sub/../f", "", "escapes " + folder},
		{".. out, escapes", "file:ROOT/in/../secret", "", "escapes " + folder},
		{"symlink inside, refused", "file:ROOT/in/link-in", "", symlink("link-in")},
		{"symlink out, refused", "file:ROOT/in/link-out", "", symlink("link-out")},
		{"symlinked folder out, refused", "file:ROOT/in/dir-out/f", "", symlink("dir-out")},
		{"create over a symlink out, refused", "file:ROOT/in/link-out?mode=w&create=0600", "", symlink("link-out")},
		{"unix through a symlink out, refused", "unix:ROOT/in/link-out", "", "connect: " + symlink("link-out")[len("open: "):]},
		{"listen through a symlinked folder out, refused", "listen:unix:ROOT/in/dir-out/s", "", "bind: " + symlink("dir-out")[len("open: "):]},
		{"missing, no such file", "file:ROOT/in/missing", "", "open: no such file or directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := strings.ReplaceAll(tc.text, "ROOT", root)
			fd, err := openConfined(t, text, folder, false)
			if tc.err != "" {
				if want := strconv.Quote("x="+text) + ": " + tc.err; errText(err) != want {
					t.Fatalf("error %q, want %q", errText(err), want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != "" {
				if got := readFD(t, fd, 64); got != tc.want {
					t.Errorf("read %q, want %q", got, tc.want)
				}
			}
		})
	}
	for _, tc := range raceCases() {
		t.Run(tc.name, func(t *testing.T) { raceBeneath(t, tc) })
	}
}
