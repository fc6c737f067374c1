package hook

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/ww-dev/ww/hook/recname"
)

// Record is what ww runtime keeps about one container it handed fds to.
type Record struct {
	// ID is the container ID, Root the lower runtime's --root as given
	// (made absolute; "" for its default).
	ID   string `json:"id"`
	Root string `json:"root"`
	// Bundle is the bundle's absolute path, and BundleDev, BundleIno its
	// folder's identity: the runtime may give the bundle in the state by
	// another path (symbolic links resolved).
	Bundle    string `json:"bundle"`
	BundleDev uint64 `json:"bundleDev"`
	BundleIno uint64 `json:"bundleIno"`
	// Begun is when the record was begun, in nanoseconds since the epoch:
	// a file at an intended path that is older is not ww's.
	Begun int64 `json:"begun"`
	// Pid is the process of ww runtime that began the record, and so
	// made its sockets: a socket file still listened on is ww's only when
	// that process called listen.
	Pid int `json:"pid,omitempty"`
	// Created says that the container was created, or may have run: the
	// files made by create= then hold what it wrote, and stay.
	Created bool `json:"created,omitempty"`
	// FDs are the fds handed over, empty until opened.
	FDs []FD `json:"fds,omitempty"`
	// Files are the files that opening may make (Ino zero: intended) or
	// made.
	Files []File `json:"files,omitempty"`

	// written is the record's file as this process last wrote or read
	// it: Clean tells by it, without decoding, that the file is still
	// this record.
	written []byte
}

// FD is one named fd handed to the container: where it lands and the
// identity of the object ww opened (for a socket, its inode on sockfs).
type FD struct {
	Name   string `json:"name"`
	Target int    `json:"fd"`
	Dev    uint64 `json:"dev"`
	Ino    uint64 `json:"ino"`
}

// File is a file on the host that opening a source makes: the socket
// file of a listen:unix: source (Socket), or a file opened with create=.
// Ino is zero while it is only intended; then PrevDev, PrevIno is the
// identity of what was at the path when the record was begun, if
// anything, and DirDev, DirIno that of the folder the path named then.
type File struct {
	Path    string `json:"path"`
	Socket  bool   `json:"socket,omitempty"`
	Dev     uint64 `json:"dev,omitempty"`
	Ino     uint64 `json:"ino,omitempty"`
	PrevDev uint64 `json:"prevDev,omitempty"`
	PrevIno uint64 `json:"prevIno,omitempty"`
	DirDev  uint64 `json:"dirDev,omitempty"`
	DirIno  uint64 `json:"dirIno,omitempty"`
}

// made reports whether the file is known by its identity.
func (f File) made() bool { return f.Ino != 0 }

// maxRecord bounds the read of a record: a thousand fds with long names
// and paths fit many times over.
const maxRecord = 4 << 20

// Name is the file name of the record of container id under the lower
// runtime's root: the ID, '@', and a hash of the root. A runtime takes
// IDs of letters, digits and "_+-." only; another ID is refused, as it
// could name a path.
func Name(id, root string) (string, error) {
	if err := checkID(id); err != nil {
		return "", err
	}
	if root != "" && !filepath.IsAbs(root) {
		abs, err := filepath.Abs(root)
		if err != nil {
			return "", fmt.Errorf("root %q: %w", clip(root), err)
		}
		root = abs
	}
	return recname.Name(id, root), nil
}

// checkID accepts the container IDs runc accepts.
func checkID(id string) error {
	if recname.ValidID(id) {
		return nil
	}
	if i := recname.BadIDRune(id); i >= 0 {
		c, _ := utf8.DecodeRuneInString(id[i:])
		return fmt.Errorf("container ID %q: %q is not a letter, digit, '_', '+', '-' or '.'", clip(id), c)
	}
	return fmt.Errorf("container ID %q: not a valid ID", clip(id))
}

// isRecordName reports whether name is the file name of a record of id.
func isRecordName(name, id string) bool {
	rest, ok := strings.CutPrefix(name, id+"@")
	return ok && rest != "" && !strings.ContainsAny(rest, "@.")
}

// looksLikeRecord tells whether name has the shape of any container's
// record name: another program's file in the folder (an editor's or sed's
// temporary copy) is not a record, and must not count as an unreadable one.
func looksLikeRecord(name string) bool {
	i := strings.LastIndexByte(name, '@')
	return i > 0 && isRecordName(name, name[:i])
}

// marshal encodes a record (see appendRecord).
func (r *Record) marshal() ([]byte, error) { return appendRecord(make([]byte, 0, 512), r), nil }

// unmarshal decodes and checks a record: as appendRecord wrote it by
// decodeRecord, anything else by encoding/json.
func unmarshal(data []byte) (*Record, error) {
	r, ok := decodeRecord(data)
	if !ok {
		r = new(Record)
		if err := json.Unmarshal(data, r); err != nil {
			return nil, err
		}
	}
	if err := checkID(r.ID); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(r.Bundle, "/") {
		return nil, errors.New("no absolute bundle path")
	}
	for _, f := range r.Files {
		if !strings.HasPrefix(f.Path, "/") {
			return nil, fmt.Errorf("file %q: not an absolute path", clip(f.Path))
		}
	}
	return r, nil
}

// clip cuts a long value for a message.
func clip(s string) string {
	const max = 256
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
