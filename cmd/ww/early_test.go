package main

import (
	"bytes"
	"debug/elf"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/ww-dev/ww/cmd/internal/fastpath"
	"github.com/ww-dev/ww/hook"
)

// needEarly skips where ww is not linked with the early entry.
func needEarly(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("no early entry on %s/%s", runtime.GOOS, runtime.GOARCH)
	}
}

// rawLowerC is a lower runtime that writes, beside $RAWLOWER_OUT, its
// argv (.argv, each argument followed by a NUL), its environment as the
// kernel gave it (.env, /proc/self/environ), its /proc/self/status
// (.status) and what its fd 2 is (.fd2, empty if closed): a C program, as
// a Go one's runtime would change its signal dispositions and fds before
// it could report them.
const rawLowerC = `#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void save(const char *out, const char *suffix, const char *from, char **argv) {
	char path[4096];
	strcpy(path, out);
	strcat(path, suffix);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) exit(10);
	if (argv) {
		for (; *argv; argv++) if (write(fd, *argv, strlen(*argv) + 1) < 0) exit(11);
	} else {
		char buf[65536];
		int in = open(from, O_RDONLY);
		ssize_t n;
		if (in < 0) exit(12);
		while ((n = read(in, buf, sizeof buf)) > 0) if (write(fd, buf, n) != n) exit(13);
		close(in);
	}
	close(fd);
}

int main(int argc, char **argv) {
	const char *out = getenv("RAWLOWER_OUT");
	if (!out) return 9;
	save(out, ".argv", 0, argv);
	save(out, ".env", "/proc/self/environ", 0);
	save(out, ".status", "/proc/self/status", 0);
	char path[4096], link[4096];
	strcpy(path, out);
	strcat(path, ".fd2");
	ssize_t n = readlink("/proc/self/fd/2", link, sizeof link);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, link, n < 0 ? 0 : n) < 0) return 14;
	close(fd);
	return 0;
}
`

// rawLower builds rawLowerC, or skips without gcc.
func rawLower(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc to build the raw lower runtime")
	}
	dir := t.TempDir()
	src, bin := filepath.Join(dir, "rawlower.c"), filepath.Join(dir, "rawlower")
	if err := os.WriteFile(src, []byte(rawLowerC), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("gcc", "-O2", "-Wall", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return bin
}

// rawCall is what rawLower saw of one call, and whether the Go runtime
// of the ww that called it started (its init trace).
type rawCall struct {
	argv, env   []string
	status, fd2 string
	goStarted   bool
}

// forkExec runs argv with env exactly as given (os/exec would drop
// repeated keys) and GODEBUG=inittrace=1 added, and returns what the raw
// lower runtime that out names saw.
func forkExec(t *testing.T, out string, argv, env []string) rawCall {
	t.Helper()
	return forkExecFDs(t, out, argv, env, 3)
}

// forkExecFDs is forkExec with only fds 0 up to n-1 of 0, 1 and 2 open.
func forkExecFDs(t *testing.T, out string, argv, env []string, n int) rawCall {
	t.Helper()
	for _, s := range []string{".argv", ".env", ".status", ".fd2"} {
		os.Remove(out + s)
	}
	stderr, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{
		Env:   append(slices.Clone(env), "GODEBUG=inittrace=1"),
		Files: []uintptr{0, 1, stderr.Fd()}[:n],
	})
	if err != nil {
		t.Fatal(err)
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatal(err)
	}
	trace, _ := os.ReadFile(stderr.Name())
	if !ws.Exited() || ws.ExitStatus() != 0 {
		t.Fatalf("%q: %v\n%s", argv, ws, trace)
	}
	read := func(s string) string {
		b, err := os.ReadFile(out + s)
		if err != nil {
			t.Fatalf("%q: the lower runtime wrote no %s: %v", argv, s, err)
		}
		return string(b)
	}
	split := func(s string) []string { return strings.Split(strings.TrimSuffix(s, "\x00"), "\x00") }
	return rawCall{split(read(".argv")), split(read(".env")), read(".status"), read(".fd2"), bytes.Contains(trace, []byte("init runtime @"))}
}

// TestEarly checks that ww linked with the early entry hands a call
// it passes through to the lower runtime before the Go runtime starts,
// under both of ww's names, and that the lower runtime gets the argv and
// environment that ww linked without it gives (through fastpath.Try),
// byte for byte: the environment as syscall.Environ reads it (empty
// entries and all but a key's first entry left out, entries without "="
// kept), then the loop mark. A delete of a container with a record (or
// under a relative --root), a create, a call with fd 2 closed and a call
// whose lower runtime is missing start the Go runtime.
func TestEarly(t *testing.T) {
	needEarly(t)
	lower := rawLower(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	link := filepath.Join(dir, "ww-runtime")
	if err := os.Symlink(wwBin, link); err != nil {
		t.Fatal(err)
	}
	tryLink := filepath.Join(t.TempDir(), "ww-runtime")
	if err := os.Symlink(wwTryBin, tryLink); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"), "RAWLOWER_OUT=" + out, lowerRuntimeEnv + "=" + lower,
		"WW_STATE_DIR=" + filepath.Join(dir, "records"),
		"DUP=first", "", "NOEQUALS", "=x", "DUP=second", "=y", "DU=P", "NOEQUALS", "LAST=1",
	}
	wantEnv := []string{
		"PATH=" + os.Getenv("PATH"), "RAWLOWER_OUT=" + out, lowerRuntimeEnv + "=" + lower,
		"WW_STATE_DIR=" + filepath.Join(dir, "records"),
		"DUP=first", "NOEQUALS", "=x", "DU=P", "NOEQUALS", "LAST=1", "GODEBUG=inittrace=1",
		loopEnv + "=" + lower,
	}
	args := []string{"--root", filepath.Join(dir, "root"), "--log", filepath.Join(dir, "log"), "kill", "c1", "KILL"}
	for _, tc := range []struct{ name, pre, try string }{
		{"ww runtime", wwBin, wwTryBin},
		{"ww-runtime", link, tryLink},
	} {
		argv := func(bin string) []string {
			if tc.name == "ww runtime" {
				return append([]string{bin, "runtime"}, args...)
			}
			return append([]string{bin}, args...)
		}
		pre := forkExec(t, out, argv(tc.pre), env)
		try := forkExec(t, out, argv(tc.try), env)
		if pre.goStarted {
			t.Errorf("%s: the Go runtime started before the lower runtime ran", tc.name)
		}
		if !try.goStarted {
			t.Errorf("%s: without the early entry, no init trace", tc.name)
		}
		if want := append([]string{lower}, args...); !slices.Equal(pre.argv, want) || !slices.Equal(try.argv, want) {
			t.Errorf("%s: lower runtime's argv %q (early), %q (Try); want %q", tc.name, pre.argv, try.argv, want)
		}
		if !slices.Equal(pre.env, wantEnv) || !slices.Equal(try.env, wantEnv) {
			t.Errorf("%s: lower runtime's environment\n%q (early)\n%q (Try)\nwant %q", tc.name, pre.env, try.env, wantEnv)
		}
	}
	// A delete of a container without a record goes before the Go
	// runtime starts; one with a record, a delete under a relative
	// --root and a create start it.
	records := filepath.Join(dir, "records")
	if err := os.MkdirAll(records, 0o700); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "root")
	name, err := hook.Name("c3", root)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(records, name), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		argv      []string
		goStarted bool
	}{
		{"delete, no record", []string{wwBin, "runtime", "--root", root, "delete", "--force", "c1"}, false},
		{"delete, no record, no --root", []string{wwBin, "runtime", "delete", "c3"}, false},
		{"delete, a record", []string{wwBin, "runtime", "--root", root, "delete", "c3"}, true},
		{"delete, relative --root", []string{wwBin, "runtime", "--root", "root", "delete", "c1"}, true},
		{"create", []string{wwBin, "runtime", "create", "--bundle", fakeBundle(t, nil, nil), "c2"}, true},
	} {
		if c := forkExec(t, out, tc.argv, env); c.goStarted != tc.goStarted {
			t.Errorf("%s: the Go runtime started: %v, want %v", tc.name, c.goStarted, tc.goStarted)
		}
	}
	// With fd 2 closed, the Go runtime opens /dev/null there before Try
	// execs the lower runtime; execEarly leaves such a call to it.
	if c := forkExecFDs(t, out, append([]string{wwBin, "runtime"}, args...), env, 2); c.fd2 != "/dev/null" || !slices.Equal(c.env, wantEnv) {
		t.Errorf("fd 2 closed: the lower runtime's fd 2 is %q, its environment\n%q\nwant /dev/null and\n%q", c.fd2, c.env, wantEnv)
	}
	cmd := exec.Command(wwBin, "runtime", "state", "c1")
	cmd.Env = append(os.Environ(), lowerRuntimeEnv+"=/nonexistent/runc", "GODEBUG=inittrace=1")
	b, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(b), "init runtime @") || !strings.Contains(string(b), "(from WW_LOWER_RUNTIME): no such file") {
		t.Errorf("missing lower runtime: %v, %q; want the Go runtime started and the full path's error", err, b)
	}
}

// TestEarlyOneProc checks that ww linked with the early entry runs with
// one P unless its environment sets GOMAXPROCS, and that no program it
// starts sees what the entry added: the programs that ww run and ww
// runtime start get the argv and environment that ww without the entry
// gives them, byte for byte, GOMAXPROCS only where the caller set it.
func TestEarlyOneProc(t *testing.T) {
	needEarly(t)
	lower := rawLower(t)
	out := filepath.Join(t.TempDir(), "out")
	for _, tc := range []struct {
		name string
		env  []string
	}{
		{"odd entries", []string{"PATH=" + os.Getenv("PATH"), "RAWLOWER_OUT=" + out, "DUP=1", "", "NOEQUALS", "DUP=2", "=x"}},
		{"one entry", []string{"RAWLOWER_OUT=" + out}},
		{"GOMAXPROCS set", []string{"RAWLOWER_OUT=" + out, "GOMAXPROCS=2"}},
		{"GOMAXPROCS empty", []string{"GOMAXPROCS=", "RAWLOWER_OUT=" + out}},
	} {
		argv := func(bin string) []string {
			return []string{bin, "run", "--with-fd", "x=0", "--", lower, "a", "", "b c"}
		}
		pre := forkExec(t, out, argv(wwBin), tc.env)
		try := forkExec(t, out, argv(wwTryBin), tc.env)
		if want := []string{lower, "a", "", "b c"}; !slices.Equal(pre.argv, want) || !slices.Equal(try.argv, want) {
			t.Errorf("%s: argv %q (early), %q (Try); want %q", tc.name, pre.argv, try.argv, want)
		}
		if !slices.Equal(pre.env, try.env) {
			t.Errorf("%s: environment\n%q (early)\n%q (Try)", tc.name, pre.env, try.env)
		}
		set := slices.ContainsFunc(tc.env, func(e string) bool { return strings.HasPrefix(e, "GOMAXPROCS=") })
		if got := slices.ContainsFunc(pre.env, func(e string) bool { return strings.HasPrefix(e, "GOMAXPROCS") }); got != set {
			t.Errorf("%s: GOMAXPROCS in the program's environment: %v, want %v (%q)", tc.name, got, set, pre.env)
		}
	}
	// A ww runtime create through the full path, to the raw lower runtime.
	env := []string{"RAWLOWER_OUT=" + out, lowerRuntimeEnv + "=" + lower, "A=1"}
	argv := []string{wwBin, "runtime", "create", "--bundle", fakeBundle(t, nil, nil), "c1"}
	if c := forkExec(t, out, argv, env); !c.goStarted || !slices.Equal(c.env, append(slices.Clone(env), "GODEBUG=inittrace=1", loopEnv+"="+lower)) {
		t.Errorf("ww runtime create: Go runtime started %v, the lower runtime's environment %q", c.goStarted, c.env)
	}
	// The Go runtime's own view, from its scheduler trace: one P, or
	// what GOMAXPROCS says; without the entry, one per CPU (ww's
	// containermaxprocs=0 leaves a cgroup's CPU limit out).
	for _, tc := range []struct {
		name, bin, env string
		want           int
	}{
		{"early entry", wwBin, "", 1},
		{"early entry, GOMAXPROCS=2", wwBin, "GOMAXPROCS=2", 2},
		{"no entry", wwTryBin, "", runtime.NumCPU()},
	} {
		cmd := exec.Command(tc.bin, "run", "--", "/bin/sleep", "0.1")
		cmd.Env = []string{"GODEBUG=schedtrace=100000", tc.env}
		b, err := cmd.CombinedOutput()
		m := regexp.MustCompile(`gomaxprocs=(\d+)`).FindSubmatch(b)
		if err != nil || m == nil || string(m[1]) != strconv.Itoa(tc.want) {
			t.Errorf("%s: %v, %q; want gomaxprocs=%d", tc.name, err, b, tc.want)
		}
	}
}

// TestEarlySignals checks that execEarly hands the lower runtime the
// signal dispositions ww was started with: signals ignored by the caller
// stay ignored (ww's Go runtime would reset all but SIGHUP and SIGINT to
// the default).
func TestEarlySignals(t *testing.T) {
	needEarly(t)
	lower := rawLower(t)
	out := filepath.Join(t.TempDir(), "out")
	env := []string{"PATH=" + os.Getenv("PATH"), "RAWLOWER_OUT=" + out, lowerRuntimeEnv + "=" + lower}
	c := forkExec(t, out, []string{"/bin/sh", "-c", `trap "" PIPE TERM USR1; exec "$0" "$@"`, wwBin, "runtime", "state", "c1"}, env)
	if c.goStarted {
		t.Fatal("the Go runtime started")
	}
	m := regexp.MustCompile(`(?m)^SigIgn:\s*([0-9a-f]+)$`).FindStringSubmatch(c.status)
	if m == nil {
		t.Fatalf("no SigIgn in the lower runtime's status:\n%s", c.status)
	}
	ign, err := strconv.ParseUint(m[1], 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGPIPE, syscall.SIGTERM, syscall.SIGUSR1} {
		if ign&(1<<(sig-1)) == 0 {
			t.Errorf("%v not ignored in the lower runtime (SigIgn %s)", sig, m[1])
		}
	}
}

// TestEarlyNeedsNoRuntime checks the built ww: its entry point is
// fastpath's entry, and what runs from there before the Go runtime
// starts calls nothing that needs the runtime. It follows every direct
// call from entry through the disassembly and fails on a call through a
// register or memory (a function value, an interface) and on a call of
// the runtime's other than the leaves below; a function's own stack
// check (a call of morestack) is never taken, as the stand-in goroutine's
// stack guard is 0.
func TestEarlyNeedsNoRuntime(t *testing.T) {
	needEarly(t)
	f, err := elf.Open(wwBin)
	if err != nil {
		t.Fatal(err)
	}
	syms, err := f.Symbols()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	entry := fastpath.EntrySymbol + ".abi0"
	i := slices.IndexFunc(syms, func(s elf.Symbol) bool { return s.Name == entry })
	if i < 0 || syms[i].Value != f.Entry {
		t.Fatalf("ww's entry point %#x is not %s", f.Entry, entry)
	}
	leaf := regexp.MustCompile(`^(runtime\.(memequal|memmove|memclrNoHeapPointers|cmpstring|gcWriteBarrier[1-8]|panic\w+|morestack_noctxt\.abi0)|internal/bytealg\.\w+(\.abi0)?|internal/runtime/syscall/linux\.Syscall6)$`)
	call := regexp.MustCompile(`\s(CALL|JMP) (\S+)\s*$`)
	jumpTable := regexp.MustCompile(`^0\(R\w+\)\(R\w+\*8\)$`)
	seen := map[string]bool{entry: true}
	todo := []string{entry}
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		dis, err := exec.Command("go", "tool", "objdump", "-s", "^"+regexp.QuoteMeta(name)+"$", wwBin).Output()
		if err != nil {
			t.Fatalf("objdump %s: %v", name, err)
		}
		if !bytes.Contains(dis, []byte("TEXT "+name+"(SB)")) {
			t.Fatalf("objdump found no %s", name)
		}
		for _, line := range strings.Split(string(dis), "\n") {
			m := call.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			target, ok := strings.CutSuffix(m[2], "(SB)")
			switch {
			case m[1] == "JMP" && (strings.HasPrefix(m[2], "0x") || jumpTable.MatchString(m[2]) || name == entry && target == "_rt0_amd64_linux"):
				// a jump within the function (a switch's table too);
				// entry's jump to the runtime
			case !ok:
				t.Errorf("%s: call through %s: %s", name, m[2], strings.TrimSpace(line))
			case leaf.MatchString(target):
			case strings.HasPrefix(target, "runtime.") || strings.HasPrefix(target, "internal/runtime/"):
				t.Errorf("%s calls %s, which needs the Go runtime: %s", name, target, strings.TrimSpace(line))
			case !seen[target]:
				seen[target] = true
				todo = append(todo, target)
			}
		}
	}
	for _, want := range []string{
		"github.com/ww-dev/ww/cmd/internal/fastpath.decide",
		"github.com/ww-dev/ww/cmd/internal/fastpath.(*scratch).surelyNoRecord",
		"github.com/ww-dev/ww/hook/recname.ValidID",
		"syscall.RawSyscall6",
	} {
		if !seen[want] {
			t.Errorf("%s not reached from %s: %q", want, entry, slices.Sorted(maps.Keys(seen)))
		}
	}
}
