package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lowerRuntime is the OCI runtime ww drives: runc's command line.
type lowerRuntime struct {
	path string
	// lock, when set, is the run's folder lock (see runDir): every
	// command gets a copy, so that the lock stays held until the last
	// command ww started has ended, even one that outlives ww.
	lock *os.File
}

// createOpts are the options of one "create" or "run".
type createOpts struct {
	bundle, pidFile, consoleSocket string
	// files land in the container's process at 3, 4, …; their count is
	// the --preserve-fds value, so the two can never disagree.
	files []uintptr
}

func (o createOpts) args() []string {
	a := []string{"--bundle", o.bundle, "--pid-file", o.pidFile}
	if o.consoleSocket != "" {
		a = append(a, "--console-socket", o.consoleSocket)
	}
	if len(o.files) > 0 {
		a = append(a, "--preserve-fds", strconv.Itoa(len(o.files)))
	}
	return a
}

// ownGroup starts a runtime command in a process group of its own: a
// Ctrl-C at ww's terminal then reaches ww only, which waits for the
// command to finish and undoes the run, rather than the command, which
// it would cut off halfway (runc killed in the middle of create leaves
// cgroups behind). For the same reason no command dies with ww: after
// ww itself is killed, its watcher waits for the command to end (it
// holds the lock) and then deletes the container.
func ownGroup() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// create runs "create" with ww's standard streams and the files at 3, 4,
// … and waits for it. The container's process inherits the streams, so
// the runtime's own error message goes to ww's stderr, where it is the
// one line the user sees: ww adds none, and exits with the runtime's
// status.
func (r lowerRuntime) create(id string, o createOpts) error {
	argv := append(append([]string{r.path, "create"}, o.args()...), id)
	std := stdio()
	files := append(std[:], o.files...)
	if r.lock != nil {
		// Past the preserved fds: the runtime keeps it to itself.
		files = append(files, r.lock.Fd())
	}
	pid, err := syscall.ForkExec(r.path, argv, &syscall.ProcAttr{Env: os.Environ(), Files: files, Sys: ownGroup()})
	if err != nil {
		return fmt.Errorf("start %s create: %w", r.path, err)
	}
	return waitPid(pid)
}

// start runs "start ID".
func (r lowerRuntime) start(id string) error {
	_, err := r.run("start", id)
	return err
}

// delete runs "delete --force ID"; the container may be running or gone.
func (r lowerRuntime) delete(id string) error {
	_, err := r.run("delete", "--force", id)
	return err
}

// bundleOf runs "state ID" and returns the container's bundle folder.
func (r lowerRuntime) bundleOf(id string) (string, error) {
	out, err := r.run("state", id)
	if err != nil {
		return "", err
	}
	var st struct {
		Bundle string `json:"bundle"`
	}
	if err := json.Unmarshal(out, &st); err != nil {
		return "", fmt.Errorf("%s state %s: %w", r.path, id, err)
	}
	return filepath.Clean(st.Bundle), nil
}

// run runs a command that needs no fds and returns its standard output;
// its error carries what the runtime said on standard error.
func (r lowerRuntime) run(args ...string) ([]byte, error) {
	cmd := exec.Command(r.path, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.SysProcAttr = ownGroup()
	if r.lock != nil {
		cmd.ExtraFiles = []*os.File{r.lock}
	}
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w%s", r.path, strings.Join(args, " "), err, detail(stderr.String()))
	}
	return out, nil
}

// detail is the runtime's own message, on the same line.
func detail(out string) string {
	out = strings.TrimSpace(out)
	if out == "" {
		return ""
	}
	return ": " + strings.Join(strings.Fields(out), " ")
}

// waitPid waits for a child and returns its status as exitStatus does.
func waitPid(pid int) error {
	_, ws, err := wait4(pid, 0)
	if err != nil {
		return err
	}
	return exitStatus(ws)
}
