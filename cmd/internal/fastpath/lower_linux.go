package fastpath

import (
	"syscall"
	"unsafe"
)

// The search for the lower runtime, as ww runtime's findLowerRuntime
// searches. It runs before the Go runtime starts too (see execEarly), so
// it is written under the same rules as ReadGlobal: nothing allocated
// (the memory it works in is a scratch, given), system calls through
// syscall.RawSyscall6 only, no call through a function value or an
// interface, and no call of the runtime's but a few leaves that need
// none of it (TestEarlyNeedsNoRuntime in cmd/ww reads the built binary
// to check that).

// atFdcwd is AT_FDCWD (-100) as a system call's argument; the others are
// faccessat2(2)'s, which package syscall does not name (TestNumbers
// checks them against x/sys/unix).
const (
	atFdcwd           = ^uintptr(99)
	atEaccess         = 0x200
	atSymlinkNofollow = 0x100
	xOK               = 1
	sysFaccessat2     = 439
)

// pathMax bounds a path ww's fast path hands to execve(2), NUL included:
// the kernel refuses longer ones (ENAMETOOLONG), and the full path then
// reports that.
const pathMax = 4096

// scratch is the memory the search works in.
type scratch struct {
	// file is LowerRuntimeFile's content, one byte more to tell a longer
	// file.
	file [MaxLowerRuntimeFile + 1]byte
	// path is the candidate, followed by a NUL.
	path [pathMax]byte
	// name is a record's name (surelyNoRecord): an ID of at most 1024
	// bytes (recname.ValidID), "@" and 16 hex digits.
	name [1024 + 1 + 16]byte
	// st is the candidate's stat(2), self /proc/self/exe's.
	st, self syscall.Stat_t
	// unsure says that the search met a candidate it cannot judge (see
	// executable) and gave up.
	unsure bool
}

// getenv looks key up in env as syscall.Getenv looks it up in the
// process's environment: the first entry that names it, the value after
// its first "=".
//
//go:norace
func getenv(env []string, key string) (string, bool) {
	if key == "" {
		return "", false
	}
	for _, e := range env {
		if len(e) > len(key) && e[len(key)] == '=' && e[:len(key)] == key {
			return e[len(key)+1:], true
		}
	}
	return "", false
}

// findLower finds the lower runtime as ww runtime's findLowerRuntime
// does, and says false wherever that would fail: the file there but
// unreadable, no executable found, or the one found being ww itself. It
// also says false where it cannot tell (see executable), and leaves that
// to the full path.
//
//go:norace
func (s *scratch) findLower(env []string) (string, bool) {
	name, _ := getenv(env, LowerRuntimeEnv)
	if name == "" {
		n, errno := s.readLowerRuntimeFile()
		switch errno {
		case 0:
			if name = firstLine(s.file[:n]); name == "" {
				return "", false
			}
		case syscall.ENOENT:
		default:
			return "", false
		}
	}
	if name == "" {
		name = DefaultLower
	}
	p, ok := s.lookExecutable(name, env)
	if !ok {
		return "", false
	}
	if stat(&procSelfExe[0], &s.self) == 0 && s.self.Dev == s.st.Dev && s.self.Ino == s.st.Ino {
		return "", false
	}
	return p, true
}

// procSelfExe and lowerRuntimeFile are NUL-terminated for the system
// calls.
var (
	procSelfExe      = [...]byte{'/', 'p', 'r', 'o', 'c', '/', 's', 'e', 'l', 'f', '/', 'e', 'x', 'e', 0}
	lowerRuntimeFile = [...]byte{'/', 'e', 't', 'c', '/', 'w', 'w', '/', 'l', 'o', 'w', 'e', 'r', '-', 'r', 'u', 'n', 't', 'i', 'm', 'e', 0}
)

// lookExecutable is LookExecutable's search, with PATH from env; the
// path it returns is s.path's, and s.st its stat(2).
//
//go:norace
func (s *scratch) lookExecutable(name string, env []string) (string, bool) {
	if name == "" {
		return "", false
	}
	for i := 0; i < len(name); i++ {
		if name[i] == '/' {
			n, ok := s.setPath(name, "")
			if !ok || !s.executable() {
				return "", false
			}
			return s.pathString(n), true
		}
	}
	pathEnv, _ := getenv(env, "PATH")
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
		var n int
		var ok bool
		if dir == "" || dir == "." {
			n, ok = s.setPath("./", name)
		} else {
			n, ok = s.cleanJoin(dir, name)
		}
		if ok && s.executable() {
			return s.pathString(n), true
		}
		if s.unsure {
			return "", false
		}
		if !more {
			break
		}
		pathEnv = rest
	}
	return "", false
}

// setPath puts a + b in s.path, followed by a NUL; false if it does not
// fit or holds a NUL, which no path can.
//
//go:norace
func (s *scratch) setPath(a, b string) (int, bool) {
	n := len(a) + len(b)
	if n >= len(s.path) {
		return 0, false
	}
	copy(s.path[:], a)
	copy(s.path[len(a):], b)
	s.path[n] = 0
	for i := 0; i < n; i++ {
		if s.path[i] == 0 {
			return 0, false
		}
	}
	return n, true
}

// pathString is the first n bytes of s.path, as a string that shares
// them.
//
//go:norace
func (s *scratch) pathString(n int) string {
	if n == 0 {
		return ""
	}
	return unsafe.String(&s.path[0], n)
}

// cleanJoin puts path.Join(dir, name) in s.path, followed by a NUL, for
// dir not empty: dir + "/" + name, cleaned lexically as path.Clean cleans
// (FuzzCleanJoin checks it against path.Join); false where the result
// and its NUL do not fit in s.path, a path that stat(2) refuses
// (ENAMETOOLONG) as the full path's search finds, or where it holds a
// NUL.
//
//go:norace
func (s *scratch) cleanJoin(dir, name string) (int, bool) {
	in := joined{dir, name}
	n := len(dir) + 1 + len(name)
	out := pathWriter{buf: &s.path}
	// As path.Clean: out.w is where the next byte goes, dotdot where
	// ".." can no longer back up.
	rooted := in.at(0) == '/'
	r, dotdot := 0, 0
	if rooted {
		out.put('/')
		r, dotdot = 1, 1
	}
	for r < n && !out.full {
		switch {
		case in.at(r) == '/':
			r++
		case in.at(r) == '.' && (r+1 == n || in.at(r+1) == '/'):
			r++
		case in.at(r) == '.' && in.at(r+1) == '.' && (r+2 == n || in.at(r+2) == '/'):
			r += 2
			switch {
			case out.w > dotdot:
				out.w--
				for out.w > dotdot && s.path[out.w] != '/' {
					out.w--
				}
			case !rooted:
				if out.w > 0 {
					out.put('/')
				}
				out.put('.')
				out.put('.')
				dotdot = out.w
			}
		default:
			if rooted && out.w != 1 || !rooted && out.w != 0 {
				out.put('/')
			}
			for ; r < n && in.at(r) != '/'; r++ {
				out.put(in.at(r))
			}
		}
	}
	if out.w == 0 {
		out.put('.')
	}
	w := out.w
	out.put(0)
	if out.full {
		return 0, false
	}
	for i := 0; i < w; i++ {
		if s.path[i] == 0 {
			return 0, false
		}
	}
	return w, true
}

// joined is dir + "/" + name, read a byte at a time.
type joined struct{ dir, name string }

//go:norace
func (j joined) at(i int) byte {
	switch {
	case i < len(j.dir):
		return j.dir[i]
	case i == len(j.dir):
		return '/'
	}
	return j.name[i-len(j.dir)-1]
}

// pathWriter writes into buf from w on, and says full instead of writing
// past its end.
type pathWriter struct {
	buf  *[pathMax]byte
	w    int
	full bool
}

//go:norace
func (p *pathWriter) put(c byte) {
	if p.w >= len(p.buf) {
		p.full = true
		return
	}
	p.buf[p.w] = c
	p.w++
}

// executable reports whether s.path names a file this process may
// execute, with its stat(2) in s.st. Where faccessat2(2) is missing or
// refused (before Linux 5.8, or by a seccomp filter: ENOSYS, EPERM), Go
// and x/sys work the answer out from the file's mode and the process's
// credentials: executable says false and sets s.unsure, and the search
// leaves the call to the full path.
//
//go:norace
func (s *scratch) executable() bool {
	if stat(&s.path[0], &s.st) != 0 || s.st.Mode&syscall.S_IFMT == syscall.S_IFDIR {
		return false
	}
	_, _, errno := syscall.RawSyscall6(sysFaccessat2, atFdcwd, uintptr(unsafe.Pointer(&s.path[0])), xOK, atEaccess, 0, 0)
	if errno == syscall.ENOSYS || errno == syscall.EPERM {
		s.unsure = true
	}
	return errno == 0
}

// readLowerRuntimeFile reads LowerRuntimeFile into s.file: its length, or
// the error; EFBIG for a file longer than MaxLowerRuntimeFile.
//
//go:norace
func (s *scratch) readLowerRuntimeFile() (int, syscall.Errno) {
	fd, _, errno := syscall.RawSyscall6(syscall.SYS_OPENAT, atFdcwd, uintptr(unsafe.Pointer(&lowerRuntimeFile[0])),
		syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	n := 0
	for n < len(s.file) {
		m, _, errno := syscall.RawSyscall6(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&s.file[n])), uintptr(len(s.file)-n), 0, 0, 0)
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			syscall.RawSyscall6(syscall.SYS_CLOSE, fd, 0, 0, 0, 0, 0)
			return 0, errno
		}
		if m == 0 {
			syscall.RawSyscall6(syscall.SYS_CLOSE, fd, 0, 0, 0, 0, 0)
			return n, 0
		}
		n += int(m)
	}
	syscall.RawSyscall6(syscall.SYS_CLOSE, fd, 0, 0, 0, 0, 0)
	return 0, syscall.EFBIG
}

// firstLine is b's first line without the ASCII spaces around it, as
// strings.TrimSpace trims them, sharing b's bytes; "" (which findLower
// gives up on) where a byte past ASCII ends it, which may be a space
// TrimSpace also removes.
//
//go:norace
func firstLine(b []byte) string {
	for i := 0; i < len(b); i++ {
		if b[i] == '\n' {
			b = b[:i]
			break
		}
	}
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	if len(b) == 0 || b[0] >= 0x80 || b[len(b)-1] >= 0x80 {
		return "" // maybe a Unicode space that TrimSpace would remove
	}
	return unsafe.String(&b[0], len(b))
}

//go:norace
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// cString is the NUL-terminated string at p, sharing its bytes.
//
//go:norace
func cString(p *byte) string {
	if p == nil {
		return ""
	}
	n := 0
	for *(*byte)(unsafe.Add(unsafe.Pointer(p), n)) != 0 {
		n++
	}
	if n == 0 {
		return ""
	}
	return unsafe.String(p, n)
}
