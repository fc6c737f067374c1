package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// lowerRuntime is the OCI runtime ww drives: runc's command line.
type lowerRuntime struct {
	path string
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

// create runs "create" with ww's standard streams and the files at 3, 4,
// … and waits for it. The container's process inherits the streams, so
// the runtime's own error message goes to ww's stderr, where it is the
// one line the user sees: ww adds none, and exits with the runtime's
// status.
func (r lowerRuntime) create(id string, o createOpts) error {
	argv := append(append([]string{r.path, "create"}, o.args()...), id)
	std := stdio()
	files := append(std[:], o.files...)
	pid, err := syscall.ForkExec(r.path, argv, &syscall.ProcAttr{Env: os.Environ(), Files: files})
	if err != nil {
		return fmt.Errorf("start %s create: %w", r.path, err)
	}
	return waitPid(pid)
}

// start runs "start ID".
func (r lowerRuntime) start(id string) error { return r.run("start", id) }

// delete runs "delete --force ID"; the container may be running or gone.
func (r lowerRuntime) delete(id string) error { return r.run("delete", "--force", id) }

func (r lowerRuntime) run(args ...string) error {
	cmd := exec.Command(r.path, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w%s", r.path, strings.Join(args, " "), err, detail(string(out)))
	}
	return nil
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
