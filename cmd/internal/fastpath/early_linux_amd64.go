//go:build !race

package fastpath

import (
	"syscall"
	"unsafe"
)

// A call that ww runtime passes through costs its caller what starting ww
// costs, and most of that is the Go runtime's start. Measured on the
// 2-CPU test machine (2026-12-01, 2,500 interleaved runs of each, with
// /bin/true as the lower runtime and "--root R features" as runc's
// arguments): /bin/true alone took 0.57 ms, a static C program that
// execs it 0.94, a Go program that only execs it 1.70, and ww through
// Try 1.84, most of ww's extra being the page faults and unmapping of a
// 6.8 MB binary against a 2.1 MB one (a blank Go program grown to 3.1,
// 4.2 and 6.8 MB took 25, 63 and 141 µs longer). Through execEarly, ww
// took 0.72 ms.
//
// execEarly runs at the process's first instruction, before the Go
// runtime has started: no heap, no scheduler, no signal handlers, on the
// stack the kernel gave. The goroutine register points at pre.g, zeroed
// memory standing in for a goroutine whose stack guard is 0, so that a
// function's stack check (SP against g.stackguard0) never asks for more
// stack: the kernel's stack is megabytes deep. What runs from here,
// decide and everything below it, therefore allocates nothing, makes
// system calls through syscall.RawSyscall6 only, makes no call through a
// function value or an interface, and calls none of the runtime's
// functions but leaves that need nothing of it (memequal, memmove, …);
// a write barrier is never on before the runtime starts.
// TestEarlyNeedsNoRuntime (in cmd/ww) reads the built binary and
// fails on a call from here of anything else. A bug that faults here
// (a bounds check's panic needs the runtime too) kills ww with SIGSEGV
// before it can say anything: decide's parts are fuzzed and tested with
// the runtime up, where such a bug panics.
//
// It hands the lower runtime the signal mask and dispositions ww was
// started with, as the engine calling the lower runtime itself would;
// ww's Go runtime would reset an inherited SIG_IGN to the default for
// signals other than SIGHUP and SIGINT, and unblock those it needs. Nor
// does it check the Go runtime's own variables: with a malformed
// GOMEMLIMIT the Go runtime stops ww before Try runs, where execEarly
// passes the call through. A closed fd 0, 1 or 2, which the Go runtime
// would open on /dev/null, sends the call through Try.

// A build with the race detector has no entry: the wrapper that Go puts
// around execEarly would report to the race detector, which needs the
// runtime (linking it with EntrySymbol fails: no such symbol).

// maxArgs and maxEnv bound the argument and environment counts execEarly
// handles; a call with more starts the Go runtime and goes through Try.
const (
	maxArgs = 256
	maxEnv  = 1024
)

// System call and arch_prctl(2) numbers that entry uses (through
// go_asm.h; TestEarlyNumbers checks them).
const (
	sysArchPrctl = 158
	archSetFS    = 0x1002
	archGetFS    = 0x1003
)

// pre is execEarly's memory.
var pre earlyMemory

// earlyMemory is pre's type, named so that entry finds its fields'
// offsets in go_asm.h.
type earlyMemory struct {
	// tls is where the FS register points while execEarly runs: Go's
	// wrapper around execEarly loads the goroutine pointer from -8(FS),
	// tls[0], which entry sets to &g.
	tls [2]uintptr
	// fs is the FS register as the process started: a dynamic
	// loader's thread pointer in a build with cgo, which the runtime
	// then does not set itself; entry puts it back.
	fs uintptr
	// g stands in for a goroutine: zeroed, its stack guard
	// (g.stackguard0, the third word) is 0. The runtime's g is larger;
	// nothing here reads past the guard.
	g [8]uintptr
	scratch
	// args and env are argv and envp as strings sharing the bytes the
	// kernel put on the stack; envp is the lower runtime's environment.
	args [maxArgs]string
	env  [maxEnv]string
	envp [maxEnv + 2]*byte
	// loop is LoopEnv=lower, followed by a NUL.
	loop [len(LoopEnv) + 1 + pathMax]byte
	// oneProc is OneProcEnv and a NUL. shift, when not 0, is the number
	// of words from argc to the environment's last entry, which entry
	// moves down one word to put a pointer to oneProc after them; it
	// stays set for AddedOneProc.
	oneProc [len(OneProcEnv) + 1]byte
	shift   uintptr
}

// entry is the process's entry point when ww is linked with EntrySymbol
// (early_linux_amd64.s): it saves FS, points it at pre.tls with
// pre.tls[0] = &pre.g, calls execEarly with argc and argv, and if it
// returns, puts FS back and jumps to the Go runtime's entry with the
// stack as the kernel gave it.
//
//lint:ignore U1000 the linker's entry point (-E EntrySymbol)
func entry()

// execEarly replaces the process with the lower runtime for a call that ww
// runtime passes through (a delete where it is sure that ww keeps no
// record of the container; Try looks where it is not), and returns in
// any other case, after forgetting the strings on the stack that pre
// held (entry clears pre.tls and pre.fs; the scratch holds no pointer).
//
//lint:ignore U1000 called by entry
//go:norace
func execEarly(argc int, argv **byte) {
	passEarly(argc, argv)
	addOneProc(argc, argv)
}

// OneProcEnv is what entry adds to the environment that the Go runtime
// reads as it starts, unless the environment sets GOMAXPROCS: ww runs
// with one P. ww does one thing at a time; with a second P the runtime
// starts another thread as it initialises (for the background sweeper
// and scavenger it starts), and every copy-on-write fault of the start
// then interrupts the other CPU to flush its TLB. Measured on the 2-CPU
// test machine (2026-12-01, 1,000 interleaved runs of each, as ww
// started with GOMAXPROCS=1 against without): ww run --with-fd x=0 --
// /bin/true 65 µs less (1,857 against 1,922 µs), ww runtime run with
// two fds and /bin/true as the lower runtime 92 µs less (2,386 against
// 2,478 µs), and about 170 µs less CPU time each. Setting it from Go
// once the runtime runs (runtime.GOMAXPROCS(1) in an init) cost ww run
// 75 µs more instead: the start is where the second P costs. Package
// atinit removes the entry from the environment that ww passes on
// (AddedOneProc), so that no program ww starts sees it.
const OneProcEnv = "GOMAXPROCS=1"

// addOneProc prepares entry's addition of OneProcEnv to the environment
// (pre.shift), unless the environment sets GOMAXPROCS or a dynamic loader
// ran first (a build with cgo: FS is its thread pointer, not 0 as the
// kernel leaves it). The loader and the C library keep the addresses of
// the argv and environment arrays, which the move would shift by one
// entry under them.
//
//go:norace
func addOneProc(argc int, argv **byte) {
	if pre.fs != 0 {
		return
	}
	envp := unsafe.Add(unsafe.Pointer(argv), (argc+1)*8)
	n := 0
	for ; ; n++ {
		e := *(**byte)(unsafe.Add(envp, n*8))
		if e == nil {
			break
		}
		if hasCPrefix(e, maxProcsKey) {
			return
		}
	}
	copy(pre.oneProc[:], OneProcEnv)
	pre.oneProc[len(OneProcEnv)] = 0
	pre.shift = uintptr(1 + argc + 1 + n)
}

// maxProcsKey starts an environment entry that sets GOMAXPROCS.
const maxProcsKey = "GOMAXPROCS="

// hasCPrefix reports whether the C string at p starts with prefix,
// reading no further than that.
//
//go:norace
func hasCPrefix(p *byte, prefix string) bool {
	for i := 0; i < len(prefix); i++ {
		if *(*byte)(unsafe.Add(unsafe.Pointer(p), i)) != prefix[i] {
			return false // the NUL ending a shorter string differs too
		}
	}
	return true
}

// AddedOneProc reports whether entry added OneProcEnv to the environment
// the process started with.
func AddedOneProc() bool { return pre.shift != 0 }

// passEarly is execEarly's pass-through: it returns unless the exec fails.
//
//go:norace
func passEarly(argc int, argv **byte) {
	if argc < 2 || argc > maxArgs {
		return
	}
	av := unsafe.Slice(argv, argc+1)
	// Nothing more for a call of ww that is not a runtime call.
	if a0 := cString(av[0]); !baseIs(a0, RuntimeName) && cString(av[1]) != "runtime" {
		return
	}
	// The Go runtime opens /dev/null on a closed fd 0, 1 or 2 before Try
	// runs (runtime.checkfds), so that the lower runtime's first open
	// does not land there: such a call goes through Try.
	for fd := uintptr(0); fd < 3; fd++ {
		if _, _, errno := syscall.RawSyscall6(syscall.SYS_FCNTL, fd, syscall.F_GETFD, 0, 0, 0, 0); errno != 0 {
			return
		}
	}
	for i := 0; i < argc; i++ {
		pre.args[i] = cString(av[i])
	}
	envp := unsafe.Slice((**byte)(unsafe.Add(unsafe.Pointer(argv), (argc+1)*8)), maxEnv+1)
	nenv := 0
	if args, g, ok := readCall(pre.args[:argc]); ok {
		for envp[nenv] != nil && nenv < maxEnv {
			pre.env[nenv] = cString(envp[nenv])
			nenv++
		}
		if envp[nenv] == nil {
			passThrough(av, argc, args, g, pre.env[:nenv])
		}
	}
	// The exec did not happen: forget the strings on the stack.
	for i := 0; i < argc; i++ {
		pre.args[i] = ""
	}
	for i := 0; i < nenv; i++ {
		pre.env[i] = ""
	}
}

// passThrough is execEarly's exec of runc's arguments args (the end of
// av, argv's argc pointers) with what readCall read of them, g, if
// decide says so.
//
//go:norace
func passThrough(av []*byte, argc int, args []string, g Global, env []string) {
	lower, ok := decide(g, env, &pre.scratch, false)
	if !ok {
		return
	}
	// The environment as syscall.Environ gives it (no empty entries, a
	// key's first entry only), then the loop mark.
	n := 0
	for i, e := range env {
		if e == "" || repeatsKey(env[:i], e) {
			continue
		}
		pre.envp[n] = unsafe.StringData(e)
		n++
	}
	copy(pre.loop[:], LoopEnv)
	pre.loop[len(LoopEnv)] = '='
	copy(pre.loop[len(LoopEnv)+1:], lower)
	pre.loop[len(LoopEnv)+1+len(lower)] = 0
	pre.envp[n] = &pre.loop[0]
	pre.envp[n+1] = nil
	// argv from where runc's arguments begin, the slot before them
	// holding the lower runtime's path (a C string: s.path ends in NUL).
	k := argc - len(args) - 1
	saved := av[k]
	av[k] = unsafe.StringData(lower)
	syscall.RawSyscall6(syscall.SYS_EXECVE, uintptr(unsafe.Pointer(av[k])), uintptr(unsafe.Pointer(&av[k])), uintptr(unsafe.Pointer(&pre.envp[0])), 0, 0, 0)
	av[k] = saved
	for i := 0; i <= n+1; i++ {
		pre.envp[i] = nil
	}
}

// repeatsKey reports whether e names a key that an entry of env names:
// syscall.Environ leaves out all but a key's first entry.
//
//go:norace
func repeatsKey(env []string, e string) bool {
	key := ""
	for i := 0; i < len(e); i++ {
		if e[i] == '=' {
			key = e[:i+1]
			break
		}
	}
	if key == "" {
		return false // no "=": no key
	}
	for _, o := range env {
		if len(o) >= len(key) && o[:len(key)] == key {
			return true
		}
	}
	return false
}
