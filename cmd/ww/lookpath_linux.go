package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/cmd/internal/fastpath"
)

// defaultPath is searched when PATH is unset or empty.
const defaultPath = fastpath.DefaultPath

// findExecutable returns the path execvp(3) would run for file. Its error
// wraps os.ErrPermission when a candidate exists but cannot be executed
// and no later one can; any other error means there is no candidate.
func findExecutable(file, pathEnv string) (string, error) {
	path, _, err := lookExecutable(file, pathEnv)
	return path, err
}

// lookExecutable is findExecutable that also returns what stat(2) said of
// the file found, so that a caller need not ask again.
func lookExecutable(file, pathEnv string) (string, *unix.Stat_t, error) {
	if file == "" {
		return "", nil, fmt.Errorf("empty name: %w", os.ErrNotExist)
	}
	if strings.Contains(file, "/") {
		st, err := executable(file)
		if err != nil {
			return "", nil, err
		}
		return file, st, nil
	}
	if pathEnv == "" {
		pathEnv = defaultPath // as execvp(3) does without PATH
	}
	denied := false
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, file)
		if dir == "." {
			p = "./" + file
		}
		st, err := executable(p)
		if err == nil {
			return p, st, nil
		}
		if errors.Is(err, os.ErrPermission) {
			denied = true
		}
	}
	if denied {
		return "", nil, fmt.Errorf("found in PATH but %w", os.ErrPermission)
	}
	return "", nil, errors.New("not found in PATH")
}

// executable reports whether path is a file this process may execute,
// with its stat(2).
func executable(path string) (*unix.Stat_t, error) {
	st := new(unix.Stat_t)
	if err := unix.Stat(path, st); err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
			return nil, errors.New("no such file")
		}
		return nil, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return nil, fmt.Errorf("is a directory: %w", os.ErrPermission)
	}
	if err := unix.Faccessat(unix.AT_FDCWD, path, unix.X_OK, unix.AT_EACCESS); err != nil {
		return nil, fmt.Errorf("not executable: %w", os.ErrPermission)
	}
	return st, nil
}
