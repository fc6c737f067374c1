package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// runner starts measured commands with raw fork, exec and wait, so that
// the driver adds as little as it can, and the same for every case.
type runner struct {
	env     []string
	devNull int // every child's stdin; stdout and stderr of timed runs
	// cpu is the CPU time of the last process tree waited for.
	cpu time.Duration
}

// job is a case ready to start: its argv and the child's fd table, whose
// entries from 3 on are filled for each run.
type job struct {
	name    string
	argv    []string
	env     []string
	files   []uintptr
	trigger *trigger
	before  []string
}

func newRunner() (*runner, error) {
	fd, err := unix.Open("/dev/null", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/null: %w", err)
	}
	return &runner{env: os.Environ(), devNull: fd}, nil
}

func (r *runner) close() { unix.Close(r.devNull) }

// job prepares c: stdin, stdout and stderr from /dev/null and c.fds more
// copies of it at 3, 4, ….
func (r *runner) job(c benchCase) *job {
	files := make([]uintptr, 3+c.fds)
	files[0], files[1], files[2] = uintptr(r.devNull), uintptr(r.devNull), uintptr(r.devNull)
	return &job{name: c.name, argv: c.argv, env: append(slices.Clone(r.env), c.env...), files: files, trigger: c.trigger, before: c.before}
}

// openFDs opens the copies of /dev/null that j hands over, for one run.
// They are closed after it, so that the driver holds no extra fds while
// other cases run: every fork copies the driver's fd table and every exec
// closes its close-on-exec fds, which would slow all cases alike and pull
// every ratio towards 1.
func (r *runner) openFDs(j *job) error {
	for i := 3; i < len(j.files); i++ {
		fd, err := unix.FcntlInt(uintptr(r.devNull), unix.F_DUPFD_CLOEXEC, 3)
		if err != nil {
			r.closeFDs(j.files[3:i])
			return fmt.Errorf("%q: dup /dev/null for fd %d: %w", j.name, i, err)
		}
		j.files[i] = uintptr(fd)
	}
	return nil
}

func (r *runner) closeFDs(fds []uintptr) {
	for _, fd := range fds {
		unix.Close(int(fd))
	}
}

// time runs j once and returns the wall time from just before the fork to
// just after the wait, and the CPU time of the process tree it waited for.
// A status other than 0 is an error.
func (r *runner) time(j *job) (wall, cpu time.Duration, err error) {
	if err := r.prepare(j); err != nil {
		return 0, 0, err
	}
	if err := r.openFDs(j); err != nil {
		return 0, 0, err
	}
	start := time.Now()
	ws, _, err := r.run(j, j.files)
	d := time.Since(start)
	r.closeFDs(j.files[3:])
	if err != nil {
		return 0, 0, err
	}
	return d, r.cpu, statusErr(ws)
}

// check runs j once with its stdout and stderr in a file, and returns an
// error that quotes them when the status is not 0.
func (r *runner) check(j *job) error {
	out, err := os.CreateTemp("", "ww-bench-*.out")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	if err := r.prepare(j); err != nil {
		return err
	}
	if err := r.openFDs(j); err != nil {
		return err
	}
	defer r.closeFDs(j.files[3:])
	files := append([]uintptr(nil), j.files...)
	files[1], files[2] = out.Fd(), out.Fd()
	ws, msg, err := r.run(j, files)
	if err != nil {
		return err
	}
	if err := statusErr(ws); err != nil {
		if len(msg) == 0 {
			msg, _ = os.ReadFile(out.Name())
		}
		if len(msg) > 0 {
			return fmt.Errorf("%w, saying: %s", err, trimOutput(msg))
		}
		return err
	}
	return nil
}

// prepare runs j's untimed command, if it has one.
func (r *runner) prepare(j *job) error {
	if j.before == nil {
		return nil
	}
	pid, err := r.start(&job{argv: j.before, env: j.env}, []uintptr{uintptr(r.devNull), uintptr(r.devNull), uintptr(r.devNull)})
	if err != nil {
		return err
	}
	ws, err := r.wait(pid)
	if err != nil {
		return err
	}
	if err := statusErr(ws); err != nil {
		return fmt.Errorf("%q: before the run, %s %w", j.name, j.before[0], err)
	}
	return nil
}

// run starts j with files as its fd table and waits for it. Only a job
// with a trigger returns what it wrote to stderr.
func (r *runner) run(j *job, files []uintptr) (syscall.WaitStatus, []byte, error) {
	if j.trigger != nil {
		return r.runTriggered(j, files)
	}
	pid, err := r.start(j, files)
	if err != nil {
		return 0, nil, err
	}
	ws, err := r.wait(pid)
	return ws, nil, err
}

func (r *runner) start(j *job, files []uintptr) (int, error) {
	pid, err := syscall.ForkExec(j.argv[0], j.argv, &syscall.ProcAttr{Env: j.env, Files: files})
	if err != nil {
		return 0, fmt.Errorf("start %s: %w", j.argv[0], err)
	}
	return pid, nil
}

// wait waits for pid, and keeps in r.cpu the CPU time, user and system,
// that it and the descendants it waited for used.
func (r *runner) wait(pid int) (syscall.WaitStatus, error) {
	var ws syscall.WaitStatus
	var ru syscall.Rusage
	for {
		_, err := syscall.Wait4(pid, &ws, 0, &ru)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("wait for %d: %w", pid, err)
		}
		r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		return ws, nil
	}
}

func statusErr(ws syscall.WaitStatus) error {
	switch {
	case ws.Exited() && ws.ExitStatus() == 0:
		return nil
	case ws.Exited():
		return fmt.Errorf("exited with status %d", ws.ExitStatus())
	case ws.Signaled():
		return fmt.Errorf("was killed by %v", ws.Signal())
	}
	return fmt.Errorf("ended with wait status %#x", uint32(ws))
}

// ensureNoFile makes sure that both the driver and a child can hold need
// fds. Go raises its own soft limit to the hard one at start-up, and so
// does ww, but children get the soft limit the driver started with; the
// hard limit is what counts.
func ensureNoFile(need uint64) (syscall.Rlimit, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return lim, fmt.Errorf("getrlimit RLIMIT_NOFILE: %w", err)
	}
	if lim.Max >= need {
		return lim, nil
	}
	raised := syscall.Rlimit{Cur: need, Max: need}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
		return lim, fmt.Errorf("RLIMIT_NOFILE hard limit %d is below the %d needed (raise it with ulimit -Hn): %w", lim.Max, need, err)
	}
	return raised, nil
}
