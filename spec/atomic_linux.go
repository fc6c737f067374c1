package spec

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// fileOwner is the owner and group a written file is given.
type fileOwner struct{ uid, gid int }

// writeAtomic replaces path with what write puts in a new file next to it.
// Readers of path see the old file or the new one, never a part, and so
// does a reader after a crash. An error leaves path untouched and no file
// behind. The new file gets perm and, when owner is not nil, that owner
// and group: a config.json that its user owns stays theirs.
//
// It uses plain system calls, never an *os.File: a runtime wrapper calls
// it when its caller's fds may fill the fd table up to the limit, where
// the Go runtime's poller, started by an *os.File, would crash the
// process instead of returning an error.
//
// The file is written unnamed (O_TMPFILE) and only linked in once it is
// complete and synced, so a process killed while writing (SIGKILL, or a
// crash) leaves no temporary file; only a kill in the moment between the
// link and the rename can. Where the file system has no O_TMPFILE, the
// temporary file is named from the start.
//
// What a crash (of the machine: a process that dies leaves the page cache
// to the kernel) can do decides each sync:
//   - The new file is synced before the rename. Without it, a file system
//     that commits the rename before the data (XFS; ext4 with
//     noauto_da_alloc) can show an empty or partial config.json after a
//     crash: a torn config. Measured on ext4 here: about 0.17 ms per save,
//     0.6 % of a runc run; on tmpfs, nothing.
//   - The folder is not synced after the rename. A crash before the
//     rename reaches the disk brings back the old config.json, whole;
//     after a crash no container of the bundle runs, and a create of it
//     edits the config again (and removes a temporary file left linked,
//     RemoveStaleTemps). The sync would make the new name durable at once
//     and cost about 0.12 ms more on ext4 here, for no state a reader
//     can rely on.
func writeAtomic(path string, perm fs.FileMode, owner *fileOwner, write func(io.Writer) error) error {
	dir, base := filepath.Dir(path), filepath.Base(path)
	dirfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(dirfd)
	t, err := newTempFile(dirfd, dir, base)
	if err != nil {
		return err
	}
	err = t.fill(perm, owner, write)
	if err == nil {
		err = t.sync()
	}
	if err == nil {
		err = t.link()
	}
	if err == nil {
		if rerr := unix.Renameat(dirfd, t.name, dirfd, base); rerr != nil {
			err = &fs.PathError{Op: "rename", Path: filepath.Join(dir, t.name), Err: rerr}
		}
	}
	t.close(err != nil)
	return err
}

// PendingSaveFDs is how many fds a PendingSave holds until Finish.
const PendingSaveFDs = 3

// PendingSave is a save of a file whose last two steps, which only a
// disk makes slow, wait for the caller's Finish: the sync of the new
// file, and the release of the old one, which the file system frees when
// its last reference goes (on ext4 here a rename that frees it took about
// 80 µs, one that does not 10-25 µs; the sync about 130-200 µs: measured
// on 2026-12-01). The caller does something worth overlapping with them
// meanwhile: ww runtime starts the lower runtime.
type PendingSave struct {
	t       *tempFile
	oldfd   int    // the replaced file, held open (O_PATH); -1 if none
	oldName string // or the temporary name the old file has, if exchanged
	dir     string
}

// writeAtomicLater is writeAtomic, but the new file is renamed into place
// before it is synced, and the sync and the release of the old file are
// left to Finish. Readers see the old file or the new one, never a part,
// as with writeAtomic; a crash of the machine before Finish returns may
// leave the file empty or partial where the file system commits a rename
// before the data, which with the exchange below includes ext4 (whose
// auto_da_alloc writes the data out only at a rename over a file). A
// failed sync is Finish's error, after the file is in place: the caller
// can only report it. That is the window a
// config.json is written in by the engines themselves (Podman writes it
// without a sync, containerd and CRI-O keep bundles on tmpfs), and ww
// runtime's Finish comes while the lower runtime creates the container,
// which a crash would end anyway.
//
// The new file takes the old one's place by an exchange (renameat2
// RENAME_EXCHANGE), the old file taking the temporary name until Finish
// removes it: ext4 starts writing a file's data out when a rename
// replaces another file with it (auto_da_alloc), which on the test
// machine's virtio disk cost the rename 90 µs of CPU time, and an
// exchange does not (perf, 2026-12-01). Finish's sync writes the data
// out anyway. Where the file system cannot exchange, or there is no old
// file, a plain rename replaces it. A process killed between the
// exchange and Finish leaves the old file under the temporary name, as
// one killed between the link and a rename leaves the new one: the
// next create's RemoveStaleTemps removes either.
func writeAtomicLater(path string, perm fs.FileMode, owner *fileOwner, write func(io.Writer) error) (*PendingSave, error) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	dirfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	t, err := newTempFile(dirfd, dir, base)
	if err != nil {
		unix.Close(dirfd)
		return nil, err
	}
	p := &PendingSave{t: t, oldfd: -1, dir: dir}
	err = t.fill(perm, owner, write)
	if err == nil {
		err = t.link()
	}
	if err == nil {
		err = p.replace(base)
	}
	if err != nil {
		t.close(true)
		p.release()
		return nil, err
	}
	return p, nil
}

// replace puts the linked temporary file in base's place: by an exchange,
// else by a rename, with the old file held open so that the rename does
// not free it.
func (p *PendingSave) replace(base string) error {
	t := p.t
	err := unix.Renameat2(t.dirfd, t.name, t.dirfd, base, unix.RENAME_EXCHANGE)
	if err == nil {
		p.oldName = t.name
		return nil
	}
	if !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EOPNOTSUPP) {
		return &fs.PathError{Op: "rename", Path: filepath.Join(p.dir, t.name), Err: err}
	}
	// An error only means there is nothing to hold.
	p.oldfd, _ = unix.Openat(t.dirfd, base, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err := unix.Renameat(t.dirfd, t.name, t.dirfd, base); err != nil {
		return &fs.PathError{Op: "rename", Path: filepath.Join(p.dir, t.name), Err: err}
	}
	return nil
}

// Finish syncs the new file to the disk and lets the old one go. It may
// be called more than once; only the first call does anything.
func (p *PendingSave) Finish() error {
	if p == nil || p.t == nil {
		return nil
	}
	err := p.t.sync()
	unix.Close(p.t.fd)
	if p.oldName != "" {
		unix.Unlinkat(p.t.dirfd, p.oldName, 0)
	}
	p.release()
	return err
}

// release closes what p still holds.
func (p *PendingSave) release() {
	if p.oldfd >= 0 {
		unix.Close(p.oldfd)
		p.oldfd = -1
	}
	if p.t != nil {
		unix.Close(p.t.dirfd)
		p.t = nil
	}
}

// tempFile is the file writeAtomic writes before it replaces the old one.
type tempFile struct {
	dirfd, fd int
	dir, name string // name in dir; linked says whether it is there yet
	linked    bool
}

func newTempFile(dirfd int, dir, base string) (*tempFile, error) {
	name, err := tempName(base)
	if err != nil {
		return nil, err
	}
	t := &tempFile{dirfd: dirfd, dir: dir, name: name}
	// Made 0600, then given its mode by fchmod, which the umask does not
	// narrow.
	t.fd, err = unix.Openat(dirfd, ".", unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
	if err == nil {
		return t, nil
	}
	if !errors.Is(err, unix.EOPNOTSUPP) && !errors.Is(err, unix.EISDIR) && !errors.Is(err, unix.EINVAL) {
		return nil, &fs.PathError{Op: "create a file in", Path: dir, Err: err}
	}
	t.fd, err = unix.Openat(dirfd, name, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: filepath.Join(dir, name), Err: err}
	}
	t.linked = true
	return t, nil
}

// tempName is a dot name beside base, out of a plain ls and of globs such
// as *.json, and unique: writers that do not lock each other out never
// pick the same one.
func tempName(base string) (string, error) {
	var b [8]byte
	if _, err := unix.Getrandom(b[:], 0); err != nil {
		return "", fmt.Errorf("temporary name: %w", err)
	}
	return "." + base + ".tmp-" + hex.EncodeToString(b[:]), nil
}

// fill sets the file's owner and mode and writes it.
func (t *tempFile) fill(perm fs.FileMode, owner *fileOwner, write func(io.Writer) error) error {
	if owner != nil && (owner.uid != unix.Geteuid() || owner.gid != unix.Getegid()) {
		if err := unix.Fchown(t.fd, owner.uid, owner.gid); err != nil {
			return fmt.Errorf("give the new file owner %d and group %d: %w", owner.uid, owner.gid, err)
		}
	}
	// After the chown, which clears set-id bits.
	if err := unix.Fchmod(t.fd, uint32(perm.Perm())); err != nil {
		return fmt.Errorf("set the new file's mode %v: %w", perm.Perm(), err)
	}
	if err := write(rawWriter(t.fd)); err != nil {
		return fmt.Errorf("write %s: %w", t.dir, err)
	}
	return nil
}

// sync syncs the file to the disk.
func (t *tempFile) sync() error {
	if err := fsync(t.fd); err != nil {
		return fmt.Errorf("sync the new file in %s: %w", t.dir, err)
	}
	return nil
}

// link gives an unnamed file its temporary name.
func (t *tempFile) link() error {
	if t.linked {
		return nil
	}
	proc := "/proc/self/fd/" + strconv.Itoa(t.fd)
	if err := unix.Linkat(unix.AT_FDCWD, proc, t.dirfd, t.name, unix.AT_SYMLINK_FOLLOW); err != nil {
		return &fs.PathError{Op: "link", Path: filepath.Join(t.dir, t.name), Err: err}
	}
	t.linked = true
	return nil
}

// close closes the file and, on failure, removes its name.
func (t *tempFile) close(failed bool) {
	unix.Close(t.fd)
	if failed && t.linked {
		unix.Unlinkat(t.dirfd, t.name, 0)
	}
}

// rawWriter writes to an fd with plain system calls.
type rawWriter int

func (w rawWriter) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k, err := unix.Write(int(w), p[n:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return n, err
		}
		n += k
	}
	return n, nil
}

func fsync(fd int) error {
	for {
		err := unix.Fsync(fd)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// bytesWriter is a write step for writeAtomic that writes data.
func bytesWriter(data []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}
}

// RemoveStaleTemps removes the temporary files that a save of path killed
// in its last moment (between linking the new file and renaming it over
// path) left beside it. Only a caller that knows no other save of path
// runs, such as one holding the bundle's lock, may call it. It reads the
// folder with plain system calls, as writeAtomic writes it.
func RemoveStaleTemps(path string) error {
	dir, base := filepath.Dir(path), filepath.Base(path)
	dirfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(dirfd)
	prefix := "." + base + ".tmp-"
	buf := make([]byte, 8<<10)
	var stale []string
	for {
		n, err := unix.ReadDirent(dirfd, buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return &fs.PathError{Op: "read", Path: dir, Err: err}
		}
		if n == 0 {
			break
		}
		_, _, names := unix.ParseDirent(buf[:n], -1, nil)
		for _, name := range names {
			if strings.HasPrefix(name, prefix) {
				stale = append(stale, name)
			}
		}
	}
	for _, name := range stale {
		if err := unix.Unlinkat(dirfd, name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
			return &fs.PathError{Op: "remove", Path: filepath.Join(dir, name), Err: err}
		}
	}
	return nil
}
