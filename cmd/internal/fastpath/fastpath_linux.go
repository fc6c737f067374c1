package fastpath

import (
	"os"
	"path"
	"syscall"
	"unsafe"

	"github.com/ww-dev/ww/hook/recname"
)

// Try replaces the process with the lower runtime when argv is a call of
// ww runtime that it passes through. It returns when it does not, or
// cannot: the caller goes on as if it had not been called.
func Try() {
	args, g, ok := readCall(os.Args)
	if !ok {
		return // ww's other commands, create and run: nothing more
	}
	env := syscall.Environ()
	lower, ok := decide(g, env, new(scratch), true)
	if !ok || g.Command == "delete" && !noRecord(g, env) {
		return
	}
	syscall.Exec(lower, append([]string{lower}, args...), append(env[:len(env):len(env)], LoopEnv+"="+lower))
}

// readCall is what Try and execEarly read of argv alone: runc's
// arguments and their global flags, for a call of ww runtime whose
// global flags read without doubt and whose subcommand is neither create
// nor run.
//
//go:norace
func readCall(argv []string) (args []string, g Global, ok bool) {
	if args, ok = RuntimeArgs(argv); !ok {
		return nil, Global{}, false
	}
	if g, ok = ReadGlobal(args); !ok || g.Command == "create" || g.Command == "run" {
		return nil, Global{}, false
	}
	return args, g, true
}

// decide is what Try and execEarly decide, past readCall, from the
// environment env (the process's, as syscall.Environ gives it or as it
// came): with no loop mark and a lower runtime found, the lower
// runtime's path (in s, followed by a NUL). A delete is the caller's to
// look at when findsRecords is set (Try, with noRecord); else decide
// takes it only where it is sure that ww runtime keeps no record of the
// container (surelyNoRecord).
//
//go:norace
func decide(g Global, env []string, s *scratch, findsRecords bool) (string, bool) {
	if g.Command == "delete" && !findsRecords && !s.surelyNoRecord(g, env) {
		return "", false
	}
	if _, set := getenv(env, LoopEnv); set {
		return "", false
	}
	return s.findLower(env)
}

// surelyNoRecord reports whether the delete g names a container of which
// ww runtime surely keeps no record, as noRecord would find, reading
// what it can without the Go runtime: false where a help or version flag
// is given, where the record would be found under a --root that is
// relative (noRecord asks os.Getwd, which may answer $PWD) or in a folder
// that depends on more than WW_STATE_DIR and an effective user ID of 0
// (recname.Dir), and where the record is there.
//
//go:norace
func (s *scratch) surelyNoRecord(g Global, env []string) bool {
	if g.HelpOrVersion {
		return false
	}
	id := DeleteID(g.Rest)
	if id == "" || !recname.ValidID(id) {
		return true
	}
	if g.Root != "" && g.Root[0] != '/' {
		return false
	}
	dir, _ := getenv(env, recname.DirEnv)
	if dir == "" {
		if euid, _, _ := syscall.RawSyscall6(syscall.SYS_GETEUID, 0, 0, 0, 0, 0, 0); euid != 0 {
			return false
		}
		dir = recname.DefaultDir
	}
	// The record's name, as recname.Name: the ID, "@", and the root's
	// hash in hex.
	n := copy(s.name[:], id)
	s.name[n] = '@'
	n++
	h := recname.RootHash(g.Root)
	var hex [16]byte
	k := len(hex)
	for {
		k--
		hex[k] = "0123456789abcdef"[h&15]
		if h >>= 4; h == 0 {
			break
		}
	}
	n += copy(s.name[n:], hex[k:])
	if _, ok := s.cleanJoin(dir, unsafe.String(&s.name[0], n)); !ok {
		return true // too long: lstat(2) fails, and noRecord says no record
	}
	return lstat(&s.path[0], &s.st) != 0
}

// noRecord reports whether ww runtime's full path would hand the delete
// g over as it came: it names no container ID that ww reads with
// certainty, or one that ww runtime keeps no record of (one lstat, as
// hook.Exists). A help or version flag is left to the full path.
func noRecord(g Global, env []string) bool {
	if g.HelpOrVersion {
		return false
	}
	id := DeleteID(g.Rest)
	if id == "" || !recname.ValidID(id) {
		return true
	}
	root := g.Root
	if root != "" && root[0] != '/' {
		wd, err := os.Getwd()
		if err != nil {
			return true // hook.Name fails, and hook.Exists says no record
		}
		root = path.Join(wd, root)
	}
	var st syscall.Stat_t
	return syscall.Lstat(path.Join(recname.Dir(env, os.Geteuid()), recname.Name(id, root)), &st) != nil
}

// LookExecutable returns the path that ww runtime runs for the lower
// runtime name, and its stat(2): name itself if it has a slash, else the
// first executable file named so in $PATH (DefaultPath if unset or
// empty), joined as path.Join joins, an empty entry being ".". False
// where it finds none, and where it cannot tell (see executable).
func LookExecutable(name string) (string, *syscall.Stat_t, bool) {
	s := new(scratch)
	p, ok := s.lookExecutable(name, syscall.Environ())
	if !ok {
		return "", nil, false
	}
	st := s.st
	return string([]byte(p)), &st, true // a copy: p is s's
}
