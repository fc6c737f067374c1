package fdmgr

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// maxListenFDs bounds LISTEN_FDS, so that a garbage count is reported
// rather than probed fd by fd.
const maxListenFDs = 1 << 16

// parseReceived reads the fds environ describes for the process pid and
// checks that no fd has two names and no name two fds. It touches no fd.
func parseReceived(environ []string, pid int) (*Received, error) {
	vars, wwKeys, err := receiveVars(environ)
	if err != nil {
		return nil, err
	}
	fds, systemd, err := parseListen(vars, pid)
	if err != nil {
		return nil, err
	}
	// systemd gives one name to several fds when a socket unit has several
	// sockets; such a name is kept but finds no fd (see lookup).
	byFD := make(map[int]*receivedFD)
	byKey := make(map[string]*receivedFD)
	shared := make(map[string]bool)
	for _, f := range fds {
		byFD[f.fd] = f
		if _, ok := byKey[f.key]; ok && f.name != "" {
			shared[f.key] = true
		}
		if f.name != "" {
			byKey[f.key] = f
		}
	}
	for _, key := range wwKeys {
		f, err := parseWW(key, vars[key])
		if err != nil {
			return nil, err
		}
		if shared[f.key] {
			return nil, fmt.Errorf("%s: %s gives that name to several fds", f.origin, EnvListenFDNames)
		}
		if prev, ok := byKey[f.key]; ok {
			if prev.fd != f.fd {
				return nil, fmt.Errorf("%s: %s puts %q at fd %d", f.origin, EnvListenFDNames, prev.name, prev.fd)
			}
			continue
		}
		if prev, ok := byFD[f.fd]; ok {
			if prev.name != "" {
				return nil, fmt.Errorf("%s: fd %d is already named %q by %s", f.origin, f.fd, prev.name, prev.origin)
			}
			// systemd passed this fd without a name; ww names it.
			prev.name, prev.key, prev.origin = f.name, f.key, f.origin
			byKey[f.key] = prev
			continue
		}
		byFD[f.fd], byKey[f.key] = f, f
		fds = append(fds, f)
	}
	slices.SortFunc(fds, func(a, b *receivedFD) int { return cmp.Compare(a.fd, b.fd) })
	return &Received{fds: fds, systemd: systemd}, nil
}

// receiveVars picks the WW_FD_* and LISTEN_* variables out of environ, and
// lists the WW_FD_* keys in the order found. A variable set twice to two
// values is an error: which one a program sees depends on how it reads.
func receiveVars(environ []string) (map[string]string, []string, error) {
	vars := make(map[string]string)
	var wwKeys []string
	for _, kv := range environ {
		key, val, ok := strings.Cut(kv, "=")
		if !ok || !IsEnvVar(kv) && !isListenVar(kv) {
			continue
		}
		if prev, seen := vars[key]; seen {
			if prev != val {
				return nil, nil, fmt.Errorf("%s is set twice: %q and %q", key, prev, val)
			}
			continue
		}
		vars[key] = val
		if IsEnvVar(kv) {
			wwKeys = append(wwKeys, key)
		}
	}
	return vars, wwKeys, nil
}

// parseWW reads one WW_FD_<NAME>=<fd> (see ParseEnvVar).
func parseWW(key, val string) (*receivedFD, error) {
	origin := fmt.Sprintf("%s=%q", key, val)
	name, fd, err := ParseEnvVar(key, val)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", origin, err)
	}
	return &receivedFD{fd: fd, name: name, key: key, origin: origin}, nil
}

// parseListen reads the systemd variables. Like sd_listen_fds, it ignores
// them all, well-formed or not, unless LISTEN_PID is pid; the bool tells
// whether they were read.
func parseListen(vars map[string]string, pid int) ([]*receivedFD, bool, error) {
	pidVal, ok := vars[EnvListenPID]
	if !ok {
		return nil, false, nil
	}
	p, err := parseDecimal(pidVal)
	if err != nil || p == 0 {
		return nil, false, fmt.Errorf("%s=%q: not a process id", EnvListenPID, pidVal)
	}
	countVal, ok := vars[EnvListenFDs]
	if p != pid || !ok {
		return nil, false, nil
	}
	countOrigin := fmt.Sprintf("%s=%q", EnvListenFDs, countVal)
	n, err := parseDecimal(countVal)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", countOrigin, err)
	}
	if n > maxListenFDs {
		return nil, false, fmt.Errorf("%s: more than %d fds", countOrigin, maxListenFDs)
	}
	names := make([]string, n)
	namesVal, named := vars[EnvListenFDNames]
	namesOrigin := fmt.Sprintf("%s=%q", EnvListenFDNames, namesVal)
	if named && n > 0 {
		names = strings.Split(namesVal, ":")
		if len(names) != n {
			return nil, false, fmt.Errorf("%s: %d names for %s", namesOrigin, len(names), countOrigin)
		}
	}
	fds := make([]*receivedFD, n)
	for i, name := range names {
		fds[i] = &receivedFD{fd: FirstFD + i, origin: countOrigin} // SD_LISTEN_FDS_START
		if !named {
			continue
		}
		if name == "" {
			return nil, false, fmt.Errorf("%s: name %d is empty", namesOrigin, i+1)
		}
		fds[i].name, fds[i].key, fds[i].origin = name, EnvName(name), namesOrigin
	}
	return fds, true, nil
}

// parseDecimal parses a number written in plain digits: no sign, no
// spaces, no more than fits in 31 bits, as fds and process ids do.
func parseDecimal(s string) (int, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, errors.New("not a number")
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, errors.New("out of range")
	}
	return int(n), nil
}
