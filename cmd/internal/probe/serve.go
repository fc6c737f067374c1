package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

// pause waits for the signal that stops a pod's sandbox.
func pause() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
	<-c
	os.Exit(0)
}

// serve prints the report, then writes "probe PID\n" to every connection
// accepted on the listener whose number $WW_FD_<NAME> gives.
func serve(r Report, name string) {
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		os.Exit(65)
	}
	v := os.Getenv("WW_FD_" + strings.ToUpper(name))
	fd, err := strconv.Atoi(v)
	if err != nil {
		fmt.Fprintf(os.Stderr, "probe: WW_FD_%s=%q is not a number\n", strings.ToUpper(name), v)
		os.Exit(64)
	}
	l, err := net.FileListener(os.NewFile(uintptr(fd), name))
	if err != nil {
		fmt.Fprintf(os.Stderr, "probe: fd %d: %v\n", fd, err)
		os.Exit(66)
	}
	go pause()
	for {
		c, err := l.Accept()
		if err != nil {
			fmt.Fprintf(os.Stderr, "probe: accept: %v\n", err)
			os.Exit(66)
		}
		fmt.Fprintf(c, "probe %d\n", os.Getpid())
		c.Close()
	}
}
