// Package recname is where ww runtime's record of a container is found:
// the records' folder and the record's file name. It imports nothing
// that initialises anything, so that ww runtime's fast path (package
// cmd/internal/fastpath), which runs before most packages are
// initialised, finds a record exactly where package hook keeps it.
package recname

import (
	"os"
	"path"
	"strconv"
)

// DefaultDir is the folder of the records of a runtime that runs as root;
// DirEnv, in the environment of ww runtime and of the hook (never the
// container's), overrides it.
const (
	DefaultDir = "/run/ww/containers"
	DirEnv     = "WW_STATE_DIR"
)

// Dir is the records' folder that env names: DirEnv, else DefaultDir as
// root (euid 0); for another user, as ww run --bundle keeps its folders,
// $XDG_RUNTIME_DIR/ww/containers or /tmp/ww-UID/containers (the folder
// of os.TempDir).
func Dir(env []string, euid int) string {
	if v := lookup(env, DirEnv); v != "" {
		return v
	}
	switch xdg := lookup(env, "XDG_RUNTIME_DIR"); {
	case euid == 0:
		return DefaultDir
	case xdg != "":
		return path.Join(xdg, "ww", "containers")
	}
	return path.Join(os.TempDir(), "ww-"+strconv.Itoa(euid), "containers")
}

// lookup is the last value of key in env, or "".
func lookup(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if e := env[i]; len(e) > len(key) && e[len(key)] == '=' && e[:len(key)] == key {
			return e[len(key)+1:]
		}
	}
	return ""
}

// ValidID reports whether runc would take id as a container ID: letters,
// digits and "_+-." only, not "." or "..", at most 1024 bytes.
func ValidID(id string) bool {
	if id == "" || id == "." || id == ".." || len(id) > 1024 {
		return false
	}
	return BadIDRune(id) < 0
}

// BadIDRune is the index of the first byte of id that a container ID may
// not hold, or -1.
func BadIDRune(id string) int {
	for i, c := range []byte(id) {
		ok := c == '_' || c == '+' || c == '-' || c == '.' ||
			('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
		if !ok {
			return i
		}
	}
	return -1
}

// Name is the file name of the record of container id under the lower
// runtime's root absRoot (absolute, or "" for its default): the ID, '@',
// and RootHash(absRoot) in hex.
func Name(id, absRoot string) string {
	return id + "@" + strconv.FormatUint(RootHash(absRoot), 16)
}

// RootHash is the FNV-1a 64-bit hash of root. It allocates nothing and
// calls nothing, for ww's pass-through before the Go runtime starts
// (package fastpath), which names records with it too.
func RootHash(root string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(root); i++ {
		h ^= uint64(root[i])
		h *= 1099511628211
	}
	return h
}
