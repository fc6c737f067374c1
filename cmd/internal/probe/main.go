// The Go runtime would otherwise hold cgroup files open from start-up and
// blur the probe's view of its own fds.

//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

// Command probe reports what a process received from ww: its fds, its
// environment and its signals. Tests run it under ww and read its JSON.
//
//	probe fds            print the report and exit 0
//	probe fdsof PID      the report with PID's fds instead of its own
//	                     (those that stay open while they are read)
//	probe exit N         exit with status N
//	probe kill SIG       kill itself with signal number SIG
//	probe signals N      print "ready", then count signals until N arrived
//	                     and a quiet spell passed; print the report
//	probe blocked N[,N]… PROGRAM [ARG…]
//	                     exec PROGRAM with signals N… blocked
//	probe siginfo kill|tgkill SIG
//	                     send itself SIG, blocked (see blocked), with
//	                     kill(2) or tgkill(2), take it with
//	                     sigtimedwait(2) and report the raw siginfo
//	probe pause          wait for SIGTERM or SIGINT, then exit 0 (a pod's
//	                     sandbox process)
//	probe serve NAME     print the report, then answer each connection
//	                     to the listener at $WW_FD_NAME with its own pid
//	probe answer NAME    answer each connection to the listener WW_FD_NAME
//	                     with "PID START INODE"; end on SIGTERM (see answer)
//	probe answer-bind PORT
//	                     the same on a listener it binds itself
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// Report is what the probe prints.
type Report struct {
	PID     int            `json:"pid"`
	PPID    int            `json:"ppid"`
	PGID    int            `json:"pgid"`
	Args    []string       `json:"args"`
	Env     []string       `json:"env"`
	FDs     map[int]string `json:"fds"`
	Cloexec map[int]bool   `json:"cloexec"`
	Signals []int          `json:"signals,omitempty"`
	// WinSize is the rows and columns of the terminal at fd 0, if any.
	WinSize []int `json:"winsize,omitempty"`
	// Siginfo is the kernel's siginfo_t, as bytes, in siginfo mode.
	Siginfo []byte `json:"siginfo,omitempty"`
}

func main() {
	// Read the fds before anything else can open one.
	fds, cloexec := listFDs()
	r := Report{
		PID: os.Getpid(), PPID: os.Getppid(), PGID: syscall.Getpgrp(),
		Args: os.Args, Env: os.Environ(), FDs: fds, Cloexec: cloexec,
		WinSize: winSize(),
	}
	mode := "fds"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "fds":
	case "fdsof":
		r.FDs, r.Cloexec = fdsOf(os.Args[2]), nil
	case "exit":
		os.Exit(atoi(os.Args[2]))
	case "kill":
		syscall.Kill(os.Getpid(), syscall.Signal(atoi(os.Args[2])))
		time.Sleep(5 * time.Second)
		os.Exit(99)
	case "signals":
		r.Signals = countSignals(atoi(os.Args[2]))
	case "blocked":
		execBlocked(os.Args[2], os.Args[3:])
	case "siginfo":
		r.Siginfo = takeSignal(os.Args[2], syscall.Signal(atoi(os.Args[3])))
	case "pause":
		pause()
	case "serve":
		serve(r, os.Args[2])
	case "answer", "answer-bind":
		answer(mode, os.Args[2])
	default:
		fmt.Fprintf(os.Stderr, "probe: unknown mode %q\n", mode)
		os.Exit(64)
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		os.Exit(65)
	}
}

func countSignals(n int) []int {
	c := make(chan os.Signal, 64)
	signal.Notify(c, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
		syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH)
	fmt.Println("ready")
	var got []int
	for len(got) < n {
		got = append(got, int((<-c).(syscall.Signal)))
	}
	// A duplicate would arrive right behind the first.
	quiet := time.After(300 * time.Millisecond)
	for {
		select {
		case s := <-c:
			got = append(got, int(s.(syscall.Signal)))
		case <-quiet:
			return got
		}
	}
}

// fdsOf is what the fds of process pid are, leaving out an fd closed
// between the folder's read and its link's.
func fdsOf(pid string) map[int]string {
	dir := "/proc/" + pid + "/fd"
	entries, err := os.ReadDir(dir)
	if err != nil {
		panic(err)
	}
	fds := make(map[int]string)
	for _, e := range entries {
		if target, err := os.Readlink(dir + "/" + e.Name()); err == nil {
			fds[atoi(e.Name())] = target
		}
	}
	return fds
}

func listFDs() (map[int]string, map[int]bool) {
	dir, err := syscall.Open("/proc/self/fd", syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		panic(err)
	}
	buf := make([]byte, 1<<16)
	var names []string
	for {
		n, err := syscall.ReadDirent(dir, buf)
		if err != nil {
			panic(err)
		}
		if n <= 0 {
			break
		}
		_, _, names = syscall.ParseDirent(buf[:n], -1, names)
	}
	fds := make(map[int]string)
	cloexec := make(map[int]bool)
	for _, name := range names {
		fd := atoi(name)
		if fd == dir {
			continue
		}
		target, _ := os.Readlink("/proc/self/fd/" + name)
		fds[fd] = target
		flags, _, _ := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
		cloexec[fd] = flags&syscall.FD_CLOEXEC != 0
	}
	syscall.Close(dir)
	return fds, cloexec
}

func winSize() []int {
	var ws struct{ Row, Col, X, Y uint16 }
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, 0, syscall.TIOCGWINSZ, uintptr(unsafe.Pointer(&ws)))
	if errno != 0 {
		return nil
	}
	return []int{int(ws.Row), int(ws.Col)}
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		fmt.Fprintf(os.Stderr, "probe: %q is not a number\n", s)
		os.Exit(64)
	}
	return n
}

// execBlocked execs argv with the signals in list (numbers, comma
// separated) blocked, as a program started from such a thread inherits
// them.
func execBlocked(list string, argv []string) {
	var set uint64
	for _, n := range strings.Split(list, ",") {
		set |= 1 << (atoi(n) - 1)
	}
	runtime.LockOSThread()
	if _, _, errno := syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, 0 /* SIG_BLOCK */, uintptr(unsafe.Pointer(&set)), 0, 8, 0, 0); errno != 0 {
		fmt.Fprintf(os.Stderr, "probe: block signals: %v\n", errno)
		os.Exit(66)
	}
	err := syscall.Exec(argv[0], argv, os.Environ())
	fmt.Fprintf(os.Stderr, "probe: exec %s: %v\n", argv[0], err)
	os.Exit(66)
}

// takeSignal sends the probe sig by kill(2) or by tgkill(2) to this
// thread, and takes it with sigtimedwait(2): the kernel's own siginfo_t,
// which a Go program otherwise never sees. sig must be blocked in every
// thread, as it is when the probe starts with it blocked (the Go runtime
// leaves it so), or a thread of the runtime would take it first.
func takeSignal(how string, sig syscall.Signal) []byte {
	runtime.LockOSThread()
	set := uint64(1) << (sig - 1)
	var mask uint64
	if _, _, errno := syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, 0, 0, uintptr(unsafe.Pointer(&mask)), 8, 0, 0); errno != 0 || mask&set == 0 {
		fmt.Fprintf(os.Stderr, "probe: signal %d is not blocked (run under probe blocked %d)\n", sig, sig)
		os.Exit(67)
	}
	var err error
	switch how {
	case "kill":
		err = syscall.Kill(os.Getpid(), sig)
	case "tgkill":
		err = syscall.Tgkill(os.Getpid(), syscall.Gettid(), sig)
	default:
		err = fmt.Errorf("unknown sender %q: want kill or tgkill", how)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "probe: send signal %d: %v\n", sig, err)
		os.Exit(67)
	}
	info := make([]byte, 128) // the kernel's siginfo_t is 128 bytes
	timeout := syscall.Timespec{Sec: 5}
	if _, _, errno := syscall.Syscall6(syscall.SYS_RT_SIGTIMEDWAIT, uintptr(unsafe.Pointer(&set)),
		uintptr(unsafe.Pointer(&info[0])), uintptr(unsafe.Pointer(&timeout)), 8, 0, 0); errno != 0 {
		fmt.Fprintf(os.Stderr, "probe: take signal %d: %v\n", sig, errno)
		os.Exit(67)
	}
	return info
}
