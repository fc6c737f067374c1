package install

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Change is one file that an install writes or removes.
type Change struct {
	Path string
	Data []byte // the new content; nil removes the file
	Mode os.FileMode
	Why  string // one line for the operator
}

// Plan is what an install or an uninstall does to the node.
type Plan struct {
	Changes []Change
	Notes   []string // what the operator should know of a change, one line each
	// Warnings are about the configuration as it is, said on every run.
	Warnings []string
	Restart  string // the command that makes the runtime load the result
	Handler  string // the handler an install adds, for the RuntimeClass hint
}

// Add appends c unless the file already holds exactly c.Data (or, for a
// removal, does not exist), so that a plan of a done install is empty.
func (p *Plan) Add(c Change) error {
	old, err := os.ReadFile(c.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if c.Data == nil {
			return nil
		}
	case err != nil:
		return err
	case c.Data != nil && bytes.Equal(old, c.Data):
		return nil
	}
	if c.Mode == 0 {
		c.Mode = 0o644
	}
	p.Changes = append(p.Changes, c)
	return nil
}

// Apply makes the changes in order. Each file is replaced whole by a
// rename, so a reader sees the old content or the new, never a part.
func (p *Plan) Apply() error {
	for _, c := range p.Changes {
		if c.Data == nil {
			if err := os.Remove(c.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			continue
		}
		if err := writeAtomic(c.Path, c.Data, c.Mode); err != nil {
			return err
		}
	}
	return nil
}

// Report tells w what the plan does (dryRun: would do), then the notes.
func (p *Plan) Report(w io.Writer, dryRun bool) {
	defer func() {
		for _, warning := range p.Warnings {
			fmt.Fprintln(w, "warning: "+warning)
		}
	}()
	if len(p.Changes) == 0 {
		fmt.Fprintln(w, "nothing to change: the configuration already is as asked")
		return
	}
	for _, c := range p.Changes {
		verb := "wrote"
		if c.Data == nil {
			verb = "removed"
		}
		if dryRun {
			verb = map[string]string{"wrote": "would write", "removed": "would remove"}[verb]
		}
		fmt.Fprintf(w, "%s %s: %s\n", verb, c.Path, c.Why)
		if dryRun && c.Data != nil {
			fmt.Fprintf(w, "--- %s\n%s", c.Path, c.Data)
			if !bytes.HasSuffix(c.Data, []byte("\n")) {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "--- end of %s\n", c.Path)
		}
	}
	for _, n := range p.Notes {
		fmt.Fprintln(w, n)
	}
	if p.Restart != "" {
		fmt.Fprintf(w, "the runtime reads its configuration when it starts: %s\n", p.Restart)
	}
	if p.Handler != "" {
		fmt.Fprintf(w, "pods ask for the handler by a RuntimeClass whose handler is %s (deploy/runtimeclass.yaml)\n", p.Handler)
	}
}

// writeAtomic replaces path with data: a temporary file in the same
// folder, synced, given the old file's owner and mode (or mode), then
// renamed over path and the folder synced. A path that is a symbolic link
// stays one: the file it points to is replaced.
func writeAtomic(path string, data []byte, mode os.FileMode) error {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	uid, gid := -1, -1
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			uid, gid = int(st.Uid), int(st.Gid)
		}
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = writeSynced(f, data, mode, uid, gid)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

func writeSynced(f *os.File, data []byte, mode os.FileMode, uid, gid int) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil && uid >= 0 {
		err = f.Chown(uid, gid)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// marker starts every file that ww install writes, so that it removes or
// replaces only its own files.
const marker = "# Written by ww install"

// checkOurs fails if path exists and was not written by ww install.
func checkOurs(flagName, path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s %q: %w", flagName, path, err)
	}
	if !strings.HasPrefix(string(data), marker) {
		return fmt.Errorf("%s %q: the file exists and was not written by ww install; name another file", flagName, path)
	}
	return nil
}
