package fastpath

import (
	"os"
	"path"
	"syscall"

	"github.com/ww-dev/ww/hook/recname"
)

// Try replaces the process with the lower runtime when argv is a call of
// ww runtime that it passes through. It returns when it does not, or
// cannot: the caller goes on as if it had not been called.
func Try() {
	args, ok := RuntimeArgs(os.Args)
	if !ok {
		return
	}
	g, ok := ReadGlobal(args)
	if !ok {
		return
	}
	env := syscall.Environ()
	switch g.Command {
	case "create", "run":
		return
	case "delete":
		if !noRecord(g, env) {
			return
		}
	}
	if _, set := syscall.Getenv(LoopEnv); set {
		return
	}
	lower, ok := findLower()
	if !ok {
		return
	}
	syscall.Exec(lower, append([]string{lower}, args...), append(env[:len(env):len(env)], LoopEnv+"="+lower))
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

// findLower finds the lower runtime as ww runtime's findLowerRuntime
// does, and says false wherever that would fail: the file there but
// unreadable, no executable found, or the one found being ww itself.
func findLower() (string, bool) {
	name, _ := syscall.Getenv(LowerRuntimeEnv)
	if name == "" {
		b, err := readFile(LowerRuntimeFile, MaxLowerRuntimeFile)
		switch {
		case err == nil:
			if name = firstLine(b); name == "" {
				return "", false
			}
		case err != syscall.ENOENT:
			return "", false
		}
	}
	if name == "" {
		name = DefaultLower
	}
	p, st, ok := LookExecutable(name)
	if !ok {
		return "", false
	}
	var self syscall.Stat_t
	if syscall.Stat("/proc/self/exe", &self) == nil && self.Dev == st.Dev && self.Ino == st.Ino {
		return "", false
	}
	return p, true
}

// LookExecutable returns the path that ww runtime runs for the lower
// runtime name, and its stat(2): name itself if it has a slash, else the
// first executable file named so in $PATH (DefaultPath if unset or
// empty), joined as path.Join joins, an empty entry being ".".
func LookExecutable(name string) (string, *syscall.Stat_t, bool) {
	if name == "" {
		return "", nil, false
	}
	for i := 0; i < len(name); i++ {
		if name[i] == '/' {
			st, ok := executable(name)
			return name, st, ok
		}
	}
	pathEnv, _ := syscall.Getenv("PATH")
	if pathEnv == "" {
		pathEnv = DefaultPath
	}
	for {
		dir := pathEnv
		rest, more := "", false
		for j := 0; j < len(pathEnv); j++ {
			if pathEnv[j] == ':' {
				dir, rest, more = pathEnv[:j], pathEnv[j+1:], true
				break
			}
		}
		p := "./" + name
		if dir != "" && dir != "." {
			p = path.Join(dir, name)
		}
		if st, ok := executable(p); ok {
			return p, st, true
		}
		if !more {
			break
		}
		pathEnv = rest
	}
	return "", nil, false
}

// executable reports whether p is a file this process may execute, with
// its stat(2).
func executable(p string) (*syscall.Stat_t, bool) {
	st := new(syscall.Stat_t)
	if syscall.Stat(p, st) != nil || st.Mode&syscall.S_IFMT == syscall.S_IFDIR {
		return nil, false
	}
	const atEaccess = 0x200
	if syscall.Faccessat(atFdcwd, p, 1 /* X_OK */, atEaccess) != nil {
		return nil, false
	}
	return st, true
}

const atFdcwd = -0x64

// firstLine is b's first line without the ASCII spaces around it, as
// strings.TrimSpace trims them; "" (which findLower gives up on) where a
// byte past ASCII ends it, which may be a space TrimSpace also removes.
func firstLine(b []byte) string {
	for i, c := range b {
		if c == '\n' {
			b = b[:i]
			break
		}
	}
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' }
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	if len(b) > 0 && (b[0] >= 0x80 || b[len(b)-1] >= 0x80) {
		return "" // maybe a Unicode space that TrimSpace would remove
	}
	return string(b)
}

// readFile reads at most limit bytes of the file at p, and fails with
// EFBIG on a longer one.
func readFile(p string, limit int) ([]byte, error) {
	fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	buf := make([]byte, limit+1)
	n := 0
	for n < len(buf) {
		m, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if m == 0 {
			return buf[:n], nil
		}
		n += m
	}
	return nil, syscall.EFBIG
}
