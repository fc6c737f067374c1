package hook

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/hook/recname"
)

// DefaultDir is the folder of the records of a runtime that runs as root;
// DirEnv, in the environment of ww runtime and of the hook (never the
// container's), overrides it.
const (
	DefaultDir = recname.DefaultDir
	DirEnv     = recname.DirEnv
)

// DirFromEnv is the records' folder that env names: DirEnv, else
// DefaultDir as root; for another user, as ww run --bundle keeps its
// folders, $XDG_RUNTIME_DIR/ww/containers or /tmp/ww-UID/containers.
func DirFromEnv(env []string) string { return recname.Dir(env, unix.Geteuid()) }

// Store is the folder of the records. Every call uses plain system
// calls, never an *os.File: ww runtime writes records on its create path,
// where the Go runtime's poller must not start.
type Store struct {
	dir string
}

// ErrNoRecord is the error of a record that does not exist.
var ErrNoRecord = errors.New("no record")

// OpenStore returns the store at dir, which must be a folder that only
// this process's user (root) can enter; with create, it is made (0700) if
// missing.
func OpenStore(dir string, create bool) (*Store, error) {
	var st unix.Stat_t
	err := unix.Lstat(dir, &st)
	if errors.Is(err, unix.ENOENT) && create {
		if err = mkdirAll(dir); err == nil {
			err = unix.Lstat(dir, &st)
		}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "records folder", Path: dir, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return nil, fmt.Errorf("records folder %q: not a folder", dir)
	}
	if int(st.Uid) != unix.Geteuid() || st.Mode&0o077 != 0 {
		return nil, fmt.Errorf("records folder %q: owned by uid %d with mode %#o; want uid %d and no access for others (0700)",
			dir, st.Uid, st.Mode&0o7777, unix.Geteuid())
	}
	return &Store{dir: dir}, nil
}

// mkdirAll makes dir 0700 and its missing parents 0755.
func mkdirAll(dir string) error {
	parent := filepath.Dir(dir)
	var st unix.Stat_t
	if parent != dir && unix.Stat(parent, &st) != nil {
		if err := mkdirAll(parent); err != nil {
			return err
		}
		unix.Chmod(parent, 0o755) // against a umask that shuts others out
	}
	err := unix.Mkdir(dir, 0o700)
	if errors.Is(err, unix.EEXIST) {
		return nil
	}
	return err
}

// Dir is the store's folder.
func (s *Store) Dir() string { return s.dir }

// Has reports whether the record of id under root exists: one stat.
func (s *Store) Has(id, root string) bool { return Exists(s.dir, id, root) }

// Exists reports whether the folder dir holds a record of id under root:
// one stat, for callers that only open the store when it does.
func Exists(dir, id, root string) bool {
	name, err := Name(id, root)
	if err != nil {
		return false
	}
	var st unix.Stat_t
	return unix.Lstat(filepath.Join(dir, name), &st) == nil
}

// Write writes r, replacing its earlier version atomically: a reader
// sees the old record or the new one. The file is written unnamed
// (O_TMPFILE) and linked in once complete: the first version of a record
// straight under its name, so that a write killed midway leaves nothing;
// a later one under a temporary name, renamed over the old one. It is not
// synced: the records live on /run, which does not outlive a crash of the
// machine, and neither does any container.
func (s *Store) Write(r *Record) error {
	name, err := Name(r.ID, r.Root)
	if err != nil {
		return err
	}
	data, err := r.marshal()
	if err != nil {
		return err
	}
	path := filepath.Join(s.dir, name)
	if err := s.write(name, data); err != nil {
		return &fs.PathError{Op: "write record", Path: path, Err: err}
	}
	r.written = data
	return nil
}

func (s *Store) write(name string, data []byte) error {
	fd, err := unix.Open(s.dir, unix.O_WRONLY|unix.O_TMPFILE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := writeAll(fd, data); err != nil {
		return err
	}
	if err := unix.Fchmod(fd, 0o600); err != nil { // whatever the umask
		return err
	}
	err = linkFD(fd, filepath.Join(s.dir, name))
	if !errors.Is(err, unix.EEXIST) {
		return err
	}
	tmp := filepath.Join(s.dir, tempName(name))
	unix.Unlink(tmp)
	if err := linkFD(fd, tmp); err != nil {
		return err
	}
	if err := unix.Rename(tmp, filepath.Join(s.dir, name)); err != nil {
		unix.Unlink(tmp)
		return err
	}
	return nil
}

// linkFD gives the unnamed file fd the name path: by the fd itself, which
// takes CAP_DAC_READ_SEARCH (root has it), else through /proc.
func linkFD(fd int, path string) error {
	err := unix.Linkat(fd, "", unix.AT_FDCWD, path, unix.AT_EMPTY_PATH)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EPERM) {
		err = unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
	}
	return err
}

// tempName is where a new version of a record is linked before it is
// renamed into place: one name per record, so that a write killed in that
// moment leaves one file, which the next write or the removal of the
// record takes away.
func tempName(name string) string { return "." + name + ".tmp" }

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// Read reads the record of id under root; ErrNoRecord when there is none.
func (s *Store) Read(id, root string) (*Record, error) {
	name, err := Name(id, root)
	if err != nil {
		return nil, err
	}
	return s.read(name)
}

// read reads the record file name. A record must be a regular file of
// this process's user (root) with mode 0600, bounded in size: anything
// else is not ww's and is refused.
func (s *Store) read(name string) (*Record, error) {
	path := filepath.Join(s.dir, name)
	data, err := s.readRaw(name)
	if err != nil {
		return nil, err
	}
	r, err := unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("record %q: %w", path, err)
	}
	if !r.isNamed(name) {
		return nil, fmt.Errorf("record %q: holds container %q under root %q, not the one its name is for", path, clip(r.ID), clip(r.Root))
	}
	r.written = data
	return r, nil
}

// readRaw reads the bytes of the record file name, checked as read says.
func (s *Store) readRaw(name string) ([]byte, error) {
	path := filepath.Join(s.dir, name)
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil, ErrNoRecord
	}
	if err != nil {
		return nil, &fs.PathError{Op: "read record", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, &fs.PathError{Op: "read record", Path: path, Err: err}
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		return nil, fmt.Errorf("record %q: not a regular file", path)
	case int(st.Uid) != unix.Geteuid() || st.Mode&0o7777 != 0o600:
		return nil, fmt.Errorf("record %q: owned by uid %d with mode %#o; want uid %d and 0600", path, st.Uid, st.Mode&0o7777, unix.Geteuid())
	case st.Size > maxRecord:
		return nil, fmt.Errorf("record %q: %d bytes, more than %d", path, st.Size, maxRecord)
	}
	data := make([]byte, st.Size+1)
	n := 0
	for n < len(data) {
		m, err := unix.Read(fd, data[n:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read record", Path: path, Err: err}
		}
		if m == 0 {
			break
		}
		n += m
	}
	if n > int(st.Size) {
		return nil, fmt.Errorf("record %q: grew while read", path)
	}
	return data[:n], nil
}

// isNamed reports whether name is the file name of r: a record is found
// by its name, and cleaning it removes what it names, so a file renamed,
// or copied under another name, is not taken for the record of another
// container. A relative root, kept as the runtime's caller gave it, is
// made absolute in that caller's folder: from another, only the ID is
// checked.
func (r *Record) isNamed(name string) bool {
	at := strings.LastIndexByte(name, '@')
	if at < 0 || name[:at] != r.ID {
		return false
	}
	if r.Root != "" && !filepath.IsAbs(r.Root) {
		return true
	}
	own, err := Name(r.ID, r.Root)
	return err == nil && own == name
}

// Remove removes the record of r, and a temporary one a killed write left.
func (s *Store) Remove(r *Record) error {
	name, err := Name(r.ID, r.Root)
	if err != nil {
		return err
	}
	unix.Unlink(filepath.Join(s.dir, tempName(name)))
	if err := unix.Unlink(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, unix.ENOENT) {
		return &fs.PathError{Op: "remove record", Path: filepath.Join(s.dir, name), Err: err}
	}
	return nil
}
