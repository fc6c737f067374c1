package spec

import (
	"encoding/json"
	"strconv"
)

// State is what a hook of ww's reads of the container's OCI state, which
// the runtime gives the hook on its stdin.
type State struct {
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Bundle      string            `json:"bundle"`
	Annotations map[string]string `json:"annotations"`
}

// ParseState reads an OCI state as json.Unmarshal reads it into State,
// errors included. A state that json.Valid accepts is read by the walk of
// ParseHead's fast path instead: in a hook that starts afresh at every
// container, encoding/json's first decode into a type builds its decoder
// by reflection, which cost ww hook more than the rest of its reading of
// the state (perf, 2026-12-01). The walk gives up on anything out of the
// ordinary (a key given twice, a value of another type, a pid that is not
// a plain integer), and encoding/json decides: FuzzParseState checks
// that whatever the walk reads, json.Unmarshal reads the same.
func ParseState(data []byte) (*State, error) {
	if json.Valid(data) {
		if st, ok := parseStateFast(data); ok {
			return st, nil
		}
	}
	st := new(State)
	if err := json.Unmarshal(data, st); err != nil {
		return nil, err
	}
	return st, nil
}

// Keys of a state as foldKey gives them.
const (
	keyID     = "ID"
	keyPid    = "PID"
	keyBundle = "BUNDLE"
)

// parseStateFast is ParseState for data that json.Valid accepts; ok is
// false when it gives up.
func parseStateFast(data []byte) (st *State, ok bool) {
	s := &walk{data: data}
	st = new(State)
	null, ok := s.object(func(key string) bool {
		var ok bool
		switch foldKey(key) {
		case keyID:
			st.ID, ok = s.nullableStr(st.ID)
		case keyBundle:
			st.Bundle, ok = s.nullableStr(st.Bundle)
		case keyPid:
			st.Pid, ok = s.integer(st.Pid)
		case keyAnnotations:
			h := new(Head)
			if ok = s.annotations(h); ok && h.Annotations != nil {
				st.Annotations = h.Annotations
			}
		default:
			s.skipValue()
			ok = true
		}
		return ok
	})
	if !ok || null {
		// null decodes into nothing, without error: the Decoder's
		// business.
		return nil, false
	}
	return st, true
}

// nullableStr reads a string; null leaves old, as encoding/json does.
func (s *walk) nullableStr(old string) (string, bool) {
	if s.data[s.i] == 'n' {
		s.i += len("null")
		return old, true
	}
	return s.str()
}

// integer reads a number that is a plain integer fitting an int; null
// leaves old. Anything else gives up.
func (s *walk) integer(old int) (int, bool) {
	if s.data[s.i] == 'n' {
		s.i += len("null")
		return old, true
	}
	start := s.i
	if s.data[s.i] == '-' {
		s.i++
	}
	for s.i < len(s.data) && '0' <= s.data[s.i] && s.data[s.i] <= '9' {
		s.i++
	}
	if s.i < len(s.data) {
		switch s.data[s.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	n, err := strconv.ParseInt(string(s.data[start:s.i]), 10, strconv.IntSize)
	return int(n), err == nil
}
