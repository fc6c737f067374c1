package hook

import (
	"errors"
	"io/fs"
	"strings"

	"golang.org/x/sys/unix"
)

// names lists the record files of the store; of container id alone
// unless id is "".
func (s *Store) names(id string) ([]string, error) {
	fd, err := unix.Open(s.dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "list records", Path: s.dir, Err: err}
	}
	defer unix.Close(fd)
	var names []string
	buf := make([]byte, 4<<10)
	for {
		n, err := unix.ReadDirent(fd, buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "list records", Path: s.dir, Err: err}
		}
		if n <= 0 {
			return names, nil
		}
		var all []string
		_, _, all = unix.ParseDirent(buf[:n], -1, nil)
		for _, name := range all {
			if strings.HasPrefix(name, ".") {
				continue
			}
			if (id == "" && looksLikeRecord(name)) || (id != "" && isRecordName(name, id)) {
				names = append(names, name)
			}
		}
	}
}

// Find returns the records of container id whose bundle is the folder
// with the identity dev, ino: the runtime's state names a container by
// its ID and bundle, not its root.
func (s *Store) Find(id string, dev, ino uint64) ([]*Record, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	names, err := s.names(id)
	if err != nil {
		return nil, err
	}
	var found []*Record
	for _, name := range names {
		r, err := s.read(name)
		if errors.Is(err, ErrNoRecord) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, err
		}
		if r.ID == id && r.BundleDev == dev && r.BundleIno == ino {
			found = append(found, r)
		}
	}
	return found, nil
}
