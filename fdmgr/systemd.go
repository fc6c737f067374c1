package fdmgr

import (
	"fmt"
	"strconv"
	"strings"
)

// SystemdEnvVars returns the systemd socket-activation variables for the
// requests: LISTEN_FDS (the count), LISTEN_FDNAMES (the names, in fd
// order, joined by ':') and LISTEN_PID (pid, the process that will hold
// the fds). It needs only the requests, so a caller can compute the
// variables before anything is opened. The protocol numbers fds from 3
// with no gaps, so the fds must start at FirstFD.
func (m *FDManager) SystemdEnvVars(pid int) ([]string, error) {
	if m.first() != FirstFD {
		return nil, fmt.Errorf("socket activation needs the fds at %d and up, not at %d", FirstFD, m.first())
	}
	names := make([]string, 0, len(m.requests))
	for _, k := range order(m.requests, m.envs) {
		names = append(names, m.requests[k].Name)
	}
	return []string{
		EnvListenFDs + "=" + strconv.Itoa(len(names)),
		EnvListenFDNames + "=" + strings.Join(names, ":"),
		EnvListenPID + "=" + strconv.Itoa(pid),
	}, nil
}
