package fdmgr

import (
	"fmt"
	"strconv"
)

// SourceFile is a file opened by path: "file:PATH[?OPTIONS]".
const SourceFile SourceKind = "file"

// OpenMode is how a SourceFile is opened, as written after "?mode=".
type OpenMode string

// The modes of a SourceFile. None of them truncates; a file is created
// only when the source asks for it with create=PERM.
const (
	OpenRead      OpenMode = "r"  // O_RDONLY, the default
	OpenWrite     OpenMode = "w"  // O_WRONLY, writing from offset 0 over what is there
	OpenReadWrite OpenMode = "rw" // O_RDWR
	OpenAppend    OpenMode = "a"  // O_WRONLY|O_APPEND
)

// maxPerm is the largest permission create= takes: no set-id or sticky
// bits on a file made on a caller's behalf.
const maxPerm = 0o777

// fileSource is the kind SourceFile.
type fileSource struct{}

// parse parses PATH[?mode=M&create=PERM&dir=B].
func (fileSource) parse(text, rest string) (Source, error) {
	path, opts, err := splitOptions(text, rest, "file:", "mode", "create", "dir")
	if err != nil {
		return Source{}, err
	}
	if err := checkPath(text, path); err != nil {
		return Source{}, err
	}
	s := Source{Path: path, Mode: OpenRead}
	if m, ok := opts["mode"]; ok {
		switch OpenMode(m) {
		case OpenRead, OpenWrite, OpenReadWrite, OpenAppend:
			s.Mode = OpenMode(m)
		default:
			return Source{}, fmt.Errorf("file mode %q is not r, w, rw or a", m)
		}
	}
	if p, ok := opts["create"]; ok {
		perm, err := strconv.ParseUint(p, 8, 32)
		if err != nil || perm > maxPerm {
			return Source{}, fmt.Errorf("create permission %q is not octal from 0 to 0777", p)
		}
		if s.Mode == OpenRead {
			return Source{}, fmt.Errorf("option \"create\" needs mode w, rw or a")
		}
		s.Create, s.Perm = true, uint32(perm)
	}
	if d, ok := opts["dir"]; ok {
		if d != "true" && d != "false" {
			return Source{}, fmt.Errorf("option \"dir\" is %q, not true or false", d)
		}
		if d == "true" && s.Mode != OpenRead {
			return Source{}, fmt.Errorf("option \"dir\" needs mode r, not %q", s.Mode)
		}
		s.Dir = d == "true"
	}
	return s, nil
}
