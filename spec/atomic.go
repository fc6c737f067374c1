package spec

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// writeAtomic replaces path with what write puts in a temporary file next
// to it. Readers of path see the old file or the new one, never a part; a
// crash after writeAtomic returns keeps the new one. An error before the
// rename removes the temporary file and leaves path untouched.
func writeAtomic(path string, mode fs.FileMode, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	// A dot name keeps the temporary file out of a plain ls and away from
	// anything that globs *.json in the bundle.
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if err := fill(f, mode, write); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

// fill writes the temporary file f through to the disk and closes it,
// whatever fails.
func fill(f *os.File, mode fs.FileMode, write func(io.Writer) error) error {
	// CreateTemp makes the file 0600; Chmod, unlike a mode given at
	// creation, is not narrowed by the umask.
	err := f.Chmod(mode)
	if err == nil {
		err = write(f)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes the rename in dir survive a crash. When it fails, path
// already is the new file; only its durability is in doubt.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync folder: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync folder %q: %w", dir, err)
	}
	return nil
}

// bytesWriter is a write step for writeAtomic that writes data.
func bytesWriter(data []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}
}
