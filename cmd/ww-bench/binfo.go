package main

import (
	"debug/elf"
	"fmt"
	"os"
	"runtime"
	"strings"
)

// describeBinary says how big the program at path is and how it is linked.
// A dynamically linked Go program (cgo, which package net brings in unless
// built with CGO_ENABLED=0 or -tags netgo) pays for the dynamic loader and
// libc at every start, which a launcher built without them does not.
func describeBinary(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return err.Error()
	}
	desc := fmt.Sprintf("%s: %.1f MB", path, float64(st.Size())/1e6)
	f, err := elf.Open(path)
	if err != nil {
		return desc + ", not ELF"
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return desc + ", dynamically linked"
		}
	}
	return desc + ", statically linked"
}

// loadAverage reports the load before measuring: other work on the
// machine slows every case, though interleaving keeps the ratios fair.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load average unknown: " + err.Error()
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "load average unknown"
	}
	return fmt.Sprintf("load average %s %s %s before measuring, on %d CPUs", f[0], f[1], f[2], runtime.NumCPU())
}
