package fdmgr

import "strings"

// Systemd socket-activation variables.
const (
	EnvListenFDs     = "LISTEN_FDS"
	EnvListenFDNames = "LISTEN_FDNAMES"
	EnvListenPID     = "LISTEN_PID"
	// EnvListenPIDFDID is set next to LISTEN_PID by newer systemd; it is
	// never passed on, as it names ww's parent's view of the receiver.
	EnvListenPIDFDID = "LISTEN_PIDFDID"
)

// Environ returns the child's environment: base without any WW_FD_*
// variable (an outer ww's must not leak through) and without the systemd
// LISTEN_* variables (an outer activation's are stale for the child),
// followed by extra.
func Environ(base []string, extra ...string) []string {
	env := make([]string, 0, len(base)+len(extra))
	for _, kv := range base {
		if IsEnvVar(kv) || isListenVar(kv) {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

func isListenVar(kv string) bool {
	key, _, _ := strings.Cut(kv, "=")
	return key == EnvListenFDs || key == EnvListenFDNames || key == EnvListenPID || key == EnvListenPIDFDID
}
