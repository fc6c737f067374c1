package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/cmd/internal/runcargs"
	"github.com/ww-dev/ww/spec"
)

// podRecordName is the file in a pod sandbox's bundle that says which fd
// of the sandbox's process holds which of the pod's listeners. ww writes
// it when it creates the sandbox, before the lower runtime runs; it goes
// with the bundle, which the engine removes with the sandbox. Only ww
// writes it, as root, in a folder only root may write: a sandbox without
// one holds nothing of ww's.
const podRecordName = "ww-pod-listeners.json"

// podRecord is the content of podRecordName.
type podRecord struct {
	Listeners []heldListener `json:"listeners"`
}

// heldListener is one listener a sandbox holds: the annotation that asked
// for it, word for word, where it sits in the sandbox's process, and the
// socket's inode, which tells it from any other socket for as long as it
// exists.
type heldListener struct {
	Key    string `json:"key"`
	Source string `json:"source"`
	FD     int    `json:"fd"`
	Inode  uint64 `json:"inode"`
}

// maxPodRecord bounds the read of a record: a listener is a line of it,
// and a config holds at most spec.MaxConfigSize of annotations.
const maxPodRecord = spec.MaxConfigSize

// writePodRecord writes rec into bundle atomically (a new file renamed
// over the old), with plain system calls: the runtime path opens no
// *os.File.
func writePodRecord(bundle string, rec podRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	path := filepath.Join(bundle, podRecordName)
	tmp := path + ".tmp-" + strconv.Itoa(os.Getpid())
	fd, err := unix.Open(tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	_, err = rawAppender(fd).Write(data)
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	if err == nil {
		err = unix.Rename(tmp, path)
	}
	if err != nil {
		unix.Unlink(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// removePodRecord removes the record of a sandbox that was not created.
func removePodRecord(bundle string) {
	unix.Unlink(filepath.Join(bundle, podRecordName))
}

// readPodRecord reads the record in a sandbox's bundle. A missing one is
// errNoRecord; one that anyone but ww's user owns, or others may write, is
// refused: it names fds that ww takes as a pod's listeners.
func readPodRecord(bundle string) (podRecord, error) {
	path := filepath.Join(bundle, podRecordName)
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return podRecord{}, errNoRecord
		}
		return podRecord{}, fmt.Errorf("record %s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Uid != uint32(os.Geteuid()) || st.Mode&0o022 != 0 {
		return podRecord{}, fmt.Errorf("record %s: not a regular file of uid %d that only its owner may write", path, os.Geteuid())
	}
	data, err := readFileRaw(path, maxPodRecord)
	if err != nil {
		return podRecord{}, fmt.Errorf("record %s: %w", path, err)
	}
	var rec podRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return podRecord{}, fmt.Errorf("record %s: %w", path, err)
	}
	return rec, nil
}

// errNoRecord: the sandbox's bundle holds no record, as when ww did not
// create the sandbox, or the sandbox holds no listener.
var errNoRecord = errors.New("the sandbox holds no listener of ww's (ww did not create it, or it holds none)")

// lowerState is what the lower runtime's state command says of a
// container, as much as ww needs.
type lowerState struct {
	Pid         int               `json:"pid"`
	Status      string            `json:"status"`
	Bundle      string            `json:"bundle"`
	Annotations map[string]string `json:"annotations"`
}

// maxStateOutput bounds what ww reads of the state command's output: the
// config's annotations and a few fields.
const maxStateOutput = spec.MaxConfigSize + 64<<10

// stateOf runs the lower runtime's state command for container id, with
// the global flags that locate its containers as the caller gave them to
// ww, and reads its answer. It forks and reads with plain system calls:
// no *os.File, no poller.
func stateOf(lower string, a *runcargs.Args, id string) (lowerState, error) {
	argv := []string{lower}
	if a.Root != "" {
		argv = append(argv, "--root", a.Root)
	}
	if a.Rootless != "" {
		argv = append(argv, "--rootless", a.Rootless)
	}
	if a.SystemdCgroup {
		argv = append(argv, "--systemd-cgroup")
	}
	argv = append(argv, "state", id)
	out, err := runLowerOutput(lower, argv)
	if err != nil {
		return lowerState{}, fmt.Errorf("%s state %s: %w", filepath.Base(lower), id, err)
	}
	var st lowerState
	if err := json.Unmarshal(out, &st); err != nil {
		return lowerState{}, fmt.Errorf("%s state %s: %w", filepath.Base(lower), id, err)
	}
	return st, nil
}

// runLowerOutput runs the lower runtime with argv, stdin and stderr on
// /dev/null, and returns what it writes to stdout; a status other than 0
// is an error.
func runLowerOutput(lower string, argv []string) ([]byte, error) {
	null, err := unix.Open("/dev/null", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(null)
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, err
	}
	pid, err := syscall.ForkExec(lower, argv, &syscall.ProcAttr{
		Env:   lowerEnv(os.Environ(), lower),
		Files: []uintptr{uintptr(null), uintptr(p[1]), uintptr(null)},
	})
	unix.Close(p[1])
	if err != nil {
		unix.Close(p[0])
		return nil, err
	}
	out, rerr := readAllRaw(p[0], maxStateOutput)
	if errors.Is(rerr, errPastLimit) {
		rerr = fmt.Errorf("more than %d bytes of output", maxStateOutput)
	}
	unix.Close(p[0])
	var ws unix.WaitStatus
	for {
		_, err = unix.Wait4(pid, &ws, 0, nil)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	switch {
	case err != nil:
		return nil, err
	case rerr != nil:
		return nil, rerr
	case !ws.Exited() || ws.ExitStatus() != 0:
		return nil, fmt.Errorf("exit status %d (the container is gone?)", ws.ExitStatus())
	}
	return out, nil
}
