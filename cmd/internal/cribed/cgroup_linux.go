package cribed

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// cgroup is a CPU-accounting cgroup of the slot's own, which the daemon
// is moved into: its shims, the runtimes they run and the CNI plugins
// follow it (containers go to cgroups of their own), so its usage is
// what the node pays for the daemon's work, apart from the containers'.
type cgroup struct {
	dir   string
	usage func(dir string) (time.Duration, error)
	// err is why the daemon is not in it.
	err error
}

// cgroupOf returns the slot's cgroup in the cgroup v2 hierarchy, or in
// v1's cpuacct one.
func cgroupOf(slot int) cgroup {
	name := "ww-cribed-" + strconv.Itoa(slot)
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		return cgroup{dir: filepath.Join("/sys/fs/cgroup", name), usage: usageV2}
	}
	return cgroup{dir: filepath.Join("/sys/fs/cgroup/cpuacct", name), usage: usageV1}
}

// enter makes the cgroup and moves pid into it.
func (c cgroup) enter(pid int) error {
	if err := os.Mkdir(c.dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return os.WriteFile(filepath.Join(c.dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0)
}

// remove removes the cgroup once its processes are gone.
func (c cgroup) remove() error {
	var err error
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if err = os.Remove(c.dir); err == nil || errors.Is(err, os.ErrNotExist) {
			return nil
		}
	}
	return err
}

func usageV1(dir string) (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join(dir, "cpuacct.usage"))
	if err != nil {
		return 0, err
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return time.Duration(ns), err
}

func usageV2(dir string) (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join(dir, "cpu.stat"))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "usage_usec "); ok {
			us, err := strconv.ParseInt(v, 10, 64)
			return time.Duration(us) * time.Microsecond, err
		}
	}
	return 0, fmt.Errorf("%s/cpu.stat: no usage_usec", dir)
}

// CPU returns the CPU time (user and system) that the daemon, its shims,
// the runtimes and the CNI plugins have used so far; the containers'
// own processes are not in it.
func (d *Daemon) CPU() (time.Duration, error) {
	if d.cgroup.err != nil {
		return 0, d.cgroup.err
	}
	return d.cgroup.usage(d.cgroup.dir)
}
