package main

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// answer answers each connection to a listener with one line, "PID START
// INODE": the probe's pid, its start in Unix nanoseconds and the
// listener's inode. The listener is the fd that WW_FD_<NAME> names for
// "answer NAME", or one the probe binds itself for "answer-bind PORT" (every
// address, as a program that binds its own socket does). On SIGTERM it
// stops accepting and exits 0, leaving every connection it has not
// accepted queued on the listener: one it accepted is always answered.
func answer(mode, arg string) {
	start := time.Now().UnixNano()
	var fd int
	if mode == "answer-bind" {
		fd = bindPort(atoi(arg))
	} else {
		fd = atoi(os.Getenv("WW_FD_" + strings.ToUpper(arg)))
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		fail("fstat listener: %v", err)
	}
	var stop atomic.Bool
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM)
	go func() { <-c; stop.Store(true) }()
	line := []byte(fmt.Sprintf("%d %d %d\n", os.Getpid(), start, st.Ino))
	fmt.Println("serving")
	for !stop.Load() {
		if !readable(fd, 20) {
			continue
		}
		conn, _, err := syscall.Accept(fd)
		if err == syscall.EINTR || err == syscall.ECONNABORTED {
			continue
		}
		if err != nil {
			fail("accept: %v", err)
		}
		syscall.Write(conn, line)
		syscall.Close(conn)
	}
	os.Exit(0)
}

// readable waits up to ms milliseconds for a connection on fd.
func readable(fd, ms int) bool {
	pfd := struct {
		fd             int32
		events, revent int16
	}{int32(fd), 1 /* POLLIN */, 0}
	n, _, errno := syscall.Syscall(syscall.SYS_POLL, uintptr(unsafe.Pointer(&pfd)), 1, uintptr(ms))
	return errno == 0 && n == 1
}

// bindPort binds a listening TCP socket on every address at port.
func bindPort(port int) int {
	fd, err := syscall.Socket(syscall.AF_INET6, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err == nil {
		syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
		syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 0)
		err = syscall.Bind(fd, &syscall.SockaddrInet6{Port: port})
	}
	if err == nil {
		err = syscall.Listen(fd, syscall.SOMAXCONN)
	}
	if err != nil {
		fail("listen on port %d: %v", port, err)
	}
	return fd
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "probe: "+format+"\n", args...)
	os.Exit(68)
}
