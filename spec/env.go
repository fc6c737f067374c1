package spec

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ww-dev/ww/fdmgr"
)

// The variables of systemd's socket activation protocol (sd_listen_fds(3)).
// Newer systemd sets LISTEN_PIDFDID beside LISTEN_PID; it names a process
// as seen from outside the container, so it is only ever removed.
const (
	listenFDs     = fdmgr.EnvListenFDs
	listenFDNames = fdmgr.EnvListenFDNames
	listenPID     = fdmgr.EnvListenPID
	listenPIDFDID = fdmgr.EnvListenPIDFDID
)

// envEdit removes variables from process.env, then appends its own. Every
// variable it sets is also removed first, so applying it again changes
// nothing.
type envEdit struct {
	what         string   // the edit, for errors: "set WW_FD_* variables"
	set          []string // "KEY=value" entries to append
	dropPrefixes []string // remove variables whose name starts with one
	dropKeys     []string // remove variables with exactly these names
	check        func(key, value string) error
}

var (
	_ EnvModifier = (*envEdit)(nil)
	_ Validator   = (*envEdit)(nil)
)

// FDEnv sets the WW_FD_<NAME>=<fd> entries in env into process.env, after
// removing every WW_FD_* variable already there: one an outer ww or an
// earlier run left must not point the child at a wrong fd. An empty env
// only removes.
func FDEnv(env []string) Modifier {
	return &envEdit{
		what:         "set " + fdmgr.EnvPrefix + "* variables",
		set:          slices.Clone(env),
		dropPrefixes: []string{fdmgr.EnvPrefix},
		check:        checkFDVar,
	}
}

// SystemdEnv sets systemd socket activation variables, LISTEN_FDS,
// LISTEN_FDNAMES and LISTEN_PID, into process.env, after removing those and
// LISTEN_PIDFDID wherever they were: a LISTEN_FDNAMES left from an outer
// activation must not describe fds it does not match. An empty env only
// removes.
func SystemdEnv(env []string) Modifier {
	return &envEdit{
		what:     "set LISTEN_* variables",
		set:      slices.Clone(env),
		dropKeys: []string{listenFDs, listenFDNames, listenPID, listenPIDFDID},
		check:    checkListenVar,
	}
}

// Env sets the "KEY=value" entries in set into process.env, replacing any
// variable of the same name, after removing every variable whose name
// starts with one of dropPrefixes.
func Env(set []string, dropPrefixes ...string) Modifier {
	return &envEdit{
		what:         "set env",
		set:          slices.Clone(set),
		dropPrefixes: slices.Clone(dropPrefixes),
	}
}

// Validate checks the entries to set: each "KEY=value", no name twice.
func (e *envEdit) Validate() error {
	for _, p := range e.dropPrefixes {
		if p == "" {
			return errors.New("env prefix to drop is empty: it would drop every variable")
		}
	}
	seen := make(map[string]bool, len(e.set))
	for _, kv := range e.set {
		key, value, ok := strings.Cut(kv, "=")
		switch {
		case !ok:
			return fmt.Errorf("env %q: no '=' between name and value", kv)
		case key == "":
			return fmt.Errorf("env %q: name is empty", kv)
		case seen[key]:
			return fmt.Errorf("env %q: variable %q is set twice", kv, key)
		}
		seen[key] = true
		if e.check == nil {
			continue
		}
		if err := e.check(key, value); err != nil {
			return fmt.Errorf("env %q: %w", kv, err)
		}
	}
	return nil
}

// Modify edits s.Process.Env, as ModifyEnv does.
func (e *envEdit) Modify(s *specs.Spec) error {
	if s == nil || s.Process == nil {
		return e.ModifyEnv(nil)
	}
	return e.ModifyEnv(&s.Process.Env)
}

// ModifyEnv edits *env. Variables it keeps stay in their order; its own
// come last, in the order given.
func (e *envEdit) ModifyEnv(env *[]string) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if env == nil {
		return fmt.Errorf("%s: %w", e.what, ErrNoProcess)
	}
	replaced := make(map[string]bool, len(e.set))
	for _, kv := range e.set {
		replaced[envKey(kv)] = true
	}
	out := make([]string, 0, len(*env)+len(e.set))
	for _, kv := range *env {
		key := envKey(kv)
		if replaced[key] || e.drops(key) {
			continue
		}
		out = append(out, kv)
	}
	*env = append(out, e.set...)
	return nil
}

// drops reports whether the variable key goes whatever the edit sets.
func (e *envEdit) drops(key string) bool {
	if slices.Contains(e.dropKeys, key) {
		return true
	}
	for _, p := range e.dropPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// envKey is the name in an environment entry; an entry without '=' is all
// name.
func envKey(kv string) string {
	key, _, _ := strings.Cut(kv, "=")
	return key
}

// checkFDVar checks one WW_FD_<NAME>=<fd> entry as the child's side of
// fdmgr reads it.
func checkFDVar(key, value string) error {
	_, _, err := fdmgr.ParseEnvVar(key, value)
	return err
}

// checkListenVar checks one variable of systemd socket activation.
func checkListenVar(key, value string) error {
	switch key {
	case listenFDs, listenPID:
		if !isDigits(value) {
			return fmt.Errorf("%s %q is not a number", key, value)
		}
	case listenFDNames:
	default:
		return fmt.Errorf("variable %q is not one of %s, %s, %s", key, listenFDs, listenFDNames, listenPID)
	}
	return nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
