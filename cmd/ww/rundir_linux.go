package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/fdmgr"
)

// A run's folder, ROOT/ID-PID (see bundlesRoot), holds ww's copy of the
// bundle's config.json, the runtime's pid file and console socket, and
// the runtime's path (runtimeFile). ww holds a lock on the folder (flock)
// from the moment it makes it, and every runtime command ww starts gets
// a copy of the lock, so the lock is free exactly when neither ww nor any
// command it started runs any more. Whoever then takes it cleans up: ww
// itself when it ends; its watcher, a copy of ww waiting on the lock, at
// once when ww was killed (SIGKILL); any later ww run --bundle for a
// folder that no watcher cleaned.

// runtimeFile names the file in a run's folder that holds the runtime's
// path, for whoever cleans up after the run.
const runtimeFile = "runtime"

// cleanAfterArg makes ww run a watcher: ww run cleanAfterArg FOLDER.
const cleanAfterArg = "--clean-after-run"

// bundlesRoot is the folder of the runs' folders: under /run, which a
// reboot empties, for root; in the user's runtime folder otherwise.
func bundlesRoot() string {
	if os.Geteuid() == 0 {
		return "/run/ww/bundles"
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "ww", "bundles")
	}
	return filepath.Join(os.TempDir(), "ww-"+strconv.Itoa(os.Geteuid()), "bundles")
}

// runDir is a run's folder, locked.
type runDir struct {
	path    string
	lock    *os.File // the folder, its lock held
	watcher int      // the watcher's pidfd, or -1
}

// openRun cleans up after the runs that are gone, makes this run's
// folder and starts its watcher.
func openRun(id string, rt lowerRuntime) (*runDir, error) {
	root := bundlesRoot()
	if err := ownFolder(root); err != nil {
		return nil, err
	}
	sweep(root)
	r, err := makeRunDir(root, id, rt)
	if err != nil {
		return nil, err
	}
	// Nothing of ww's may reach the watcher or the runtime's commands,
	// which may outlive ww: the named fds go to create's fd table only.
	if err := fdmgr.CloseOnExecFrom(fdmgr.FirstFD); err != nil {
		r.close()
		return nil, err
	}
	r.watcher = startWatcher(r.path)
	return r, nil
}

// ownFolder makes root if it is missing, and makes sure that no one
// else can read or replace what ww keeps there: the copies of
// config.json may hold secrets.
func ownFolder(root string) error {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return fmt.Errorf("folder for the bundle: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(root, &st); err != nil {
		return fmt.Errorf("folder for the bundle: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR || st.Uid != uint32(os.Geteuid()) || st.Mode&0o077 != 0 {
		return fmt.Errorf("folder for the bundle: %s is not ww's own (owner %d, mode %o)", root, st.Uid, st.Mode&0o7777)
	}
	return nil
}

// makeRunDir makes and locks the run's folder. A shared lock on root
// keeps a sweep (which takes it exclusively) from finding the folder
// before it is locked and taking it for one whose run is gone.
func makeRunDir(root, id string, rt lowerRuntime) (*runDir, error) {
	parent, err := lockedOpen(root, unix.LOCK_SH)
	if err != nil {
		return nil, err
	}
	defer parent.Close()
	path := filepath.Join(root, id+"-"+strconv.Itoa(os.Getpid()))
	if err := os.Mkdir(path, 0o700); err != nil {
		return nil, fmt.Errorf("folder for the bundle: %w", err)
	}
	r := &runDir{path: path, watcher: -1}
	if r.lock, err = lockedOpen(path, unix.LOCK_EX); err != nil {
		os.Remove(path)
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(path, runtimeFile), []byte(rt.path), 0o600); err != nil {
		r.close()
		return nil, fmt.Errorf("folder for the bundle: %w", err)
	}
	return r, nil
}

// lockedOpen opens a folder and takes its flock, waiting for it.
func lockedOpen(path string, how int) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("folder for the bundle: %w", err)
	}
	if err := flock(f, how); err != nil {
		f.Close()
		return nil, fmt.Errorf("folder for the bundle: lock %s: %w", path, err)
	}
	return f, nil
}

func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// close removes the folder, then releases the lock and ends the watcher,
// which has nothing left to do.
func (r *runDir) close() {
	os.RemoveAll(r.path)
	r.lock.Close()
	if r.watcher >= 0 {
		unix.PidfdSendSignal(r.watcher, unix.SIGKILL, nil, 0)
		var info unix.Siginfo
		unix.Waitid(unix.P_PIDFD, r.watcher, &info, unix.WEXITED, nil)
		unix.Close(r.watcher)
	}
}

// startWatcher starts ww as the run's watcher, in a session of its own so
// that the signals of ww's terminal or process group do not reach it. It
// returns the watcher's pidfd, or -1 if it could not start one: the next
// ww run --bundle then cleans up should ww be killed.
func startWatcher(path string) int {
	null, err := os.Open(os.DevNull)
	if err != nil {
		return -1
	}
	defer null.Close()
	pidfd := -1
	fd := null.Fd()
	attr := &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{fd, fd, fd},
		Sys: &syscall.SysProcAttr{Setsid: true, PidFD: &pidfd}}
	if _, err := syscall.ForkExec("/proc/self/exe", []string{"ww", "run", cleanAfterArg, path}, attr); err != nil {
		return -1
	}
	return pidfd
}

// cleanAfter is the watcher: it waits for the lock of the run's folder,
// free once ww and the runtime commands it started have ended, and then
// cleans up if ww did not.
func cleanAfter(path string) error {
	if filepath.Dir(path) != bundlesRoot() || strings.HasPrefix(filepath.Base(path), ".") {
		return usageErrf("%s %q: not a folder of %s", cleanAfterArg, path, bundlesRoot())
	}
	f, err := lockedOpen(path, unix.LOCK_EX)
	if err != nil {
		return nil // ww is done with it already
	}
	defer f.Close()
	cleanRun(f)
	return nil
}

// sweep cleans up after every run whose lock is free.
func sweep(root string) {
	parent, err := lockedOpen(root, unix.LOCK_EX)
	if err != nil {
		return
	}
	names, _ := parent.Readdirnames(-1)
	var gone []*os.File
	for _, name := range names {
		f, err := os.Open(filepath.Join(root, name))
		if err != nil {
			continue
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			f.Close() // its run goes on, or someone cleans it now
			continue
		}
		gone = append(gone, f)
	}
	parent.Close()
	for _, f := range gone {
		cleanRun(f)
		f.Close()
	}
}

// cleanRun deletes the container of a run that is over, if the runtime
// still has it and its bundle is the run's folder (an id alone might be
// another's), and removes the folder. f is the folder, its lock held.
func cleanRun(f *os.File) {
	var st unix.Stat_t
	if unix.Fstat(int(f.Fd()), &st) != nil || st.Nlink == 0 {
		return // removed by whoever held the lock before
	}
	path := f.Name()
	name := filepath.Base(path)
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		id := name[:i]
		if rt, err := os.ReadFile(filepath.Join(path, runtimeFile)); err == nil {
			r := lowerRuntime{path: string(rt)}
			if bundle, err := r.bundleOf(id); err == nil && bundle == path {
				r.delete(id)
			}
		}
	}
	os.RemoveAll(path)
}
