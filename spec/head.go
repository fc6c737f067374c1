package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// Head is the part of a config.json a runtime wrapper reads before it
// decides whether to edit it: the annotations, which ask for fds, and
// process.env, which may hold variables of an earlier edit.
type Head struct {
	Annotations map[string]string
	// HasProcess is whether the config has a process object.
	HasProcess bool
	Env        []string
}

// ParseHead reads the annotations and process.env of the config in data.
// A key given twice in the config, in its annotations or in its process
// is an error: a JSON decoder keeps one of the two values, or merges them,
// and what ww opens must be what the written config says.
func ParseHead(data []byte) (*Head, error) {
	h, _, err := parseHead(data)
	return h, err
}

// layout is where ParseHead found the parts of a config that an edit of
// process.env rewrites, as offsets into the data it read.
type layout struct {
	// procOpen is just past the '{' of the process object, when there is
	// one; procEmpty says it has no keys.
	procOpen  int
	procEmpty bool
	// envStart and envEnd bound the value of process.env; envEnd is 0
	// when process has no env key.
	envStart, envEnd int
	// linux is the value of linux as read, nil when there is none.
	linux []byte
}

func parseHead(data []byte) (*Head, *layout, error) {
	if json.Valid(data) {
		if h, at, ok := parseHeadFast(data); ok {
			return h, at, nil
		}
	}
	return parseHeadDecoder(data)
}

// parseHeadDecoder is parseHead through encoding/json's Decoder, which
// gives the errors: see parseHeadFast.
func parseHeadDecoder(data []byte) (*Head, *layout, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	h, at := new(Head), new(layout)
	_, err := eachKey(dec, "config", false, func(key string) error {
		switch foldKey(key) {
		case keyAnnotations:
			m, err := stringMap(dec)
			if err != nil {
				return fmt.Errorf("annotations: %w", err)
			}
			h.Annotations = m
		case keyProcess:
			return h.readProcess(dec, data, at)
		case keyLinux:
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return err
			}
			if string(raw) != "null" {
				at.linux = raw
			}
		default:
			return skipValue(dec)
		}
		return nil
	})
	if errors.Is(err, io.EOF) {
		// A config cut short, by a full disk say.
		return nil, nil, io.ErrUnexpectedEOF
	}
	if err != nil {
		return nil, nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, nil, errors.New("config has data after its JSON object")
	}
	return h, at, nil
}

func (h *Head) readProcess(dec *json.Decoder, data []byte, at *layout) error {
	// The decoder stands before the value: after the colon, the object's
	// brace, if it is one.
	at.procOpen = valueStart(data, int(dec.InputOffset())) + 1
	at.procEmpty = true
	null, err := eachKey(dec, "process", true, func(key string) error {
		at.procEmpty = false
		if foldKey(key) != keyEnv {
			return skipValue(dec)
		}
		at.envStart = valueStart(data, int(dec.InputOffset()))
		if err := dec.Decode(&h.Env); err != nil {
			return fmt.Errorf("process.env: %w", err)
		}
		at.envEnd = int(dec.InputOffset())
		return nil
	})
	h.HasProcess = err == nil && !null
	return err
}

// valueStart is where the value after offset i of data starts: past
// white space and the colon after a key.
func valueStart(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r', ':':
			i++
		default:
			return i
		}
	}
	return i
}

// eachKey reads a JSON object from dec, calling f for each key with dec
// before its value, which f must read; what names the object in errors.
// With orNull, a null instead of the object is no error: eachKey then
// reports it.
func eachKey(dec *json.Decoder, what string, orNull bool, f func(key string) error) (null bool, err error) {
	tok, err := dec.Token()
	if err != nil {
		return false, err
	}
	if tok == nil && orNull {
		return true, nil
	}
	if tok != json.Delim('{') {
		return false, fmt.Errorf("%s is not a JSON object", what)
	}
	// encoding/json, here and in the runtime, matches keys without
	// regard to case: "Annotations" is the same key as "annotations".
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false, err
		}
		key := tok.(string) // inside an object, the decoder gives keys as strings
		folded := foldKey(key)
		if seen[folded] {
			return false, fmt.Errorf("%s has the key %q twice", what, quoteShort(key))
		}
		seen[folded] = true
		if err := f(key); err != nil {
			return false, err
		}
	}
	_, err = dec.Token() // the closing brace
	return false, err
}

// stringMap reads a JSON object of strings, or null, refusing a key
// given twice.
func stringMap(dec *json.Decoder) (map[string]string, error) {
	m := make(map[string]string)
	null, err := eachKey(dec, "the object", true, func(key string) error {
		var v string
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("key %q: %w", quoteShort(key), err)
		}
		m[key] = v
		return nil
	})
	if null {
		return nil, err
	}
	return m, err
}

func skipValue(dec *json.Decoder) error {
	var raw json.RawMessage
	return dec.Decode(&raw)
}

// foldKey is key as encoding/json folds a key to match it with a struct
// field's name (its foldName): two keys are one field when their folded
// forms are equal, as bytes.EqualFold decides. That folds beyond ASCII:
// the long s "ſ" is an "s", the Kelvin sign "K" a "k".
func foldKey(key string) string {
	b := make([]byte, 0, len(key))
	for _, r := range key {
		switch {
		case 'a' <= r && r <= 'z':
			r -= 'a' - 'A'
		case r >= utf8.RuneSelf:
			// The smallest rune of r's fold orbit stands for all of it.
			least := r
			for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
				least = min(least, f)
			}
			r = least
		}
		b = utf8.AppendRune(b, r)
	}
	return string(b)
}

// Keys of a config as foldKey gives them.
const (
	keyAnnotations = "ANNOTATIONS"
	keyProcess     = "PROCESS"
	keyLinux       = "LINUX"
	keyEnv         = "ENV"
)

// quoteShort cuts a long string for an error message: a hostile config's
// megabyte key must not become a megabyte log line.
func quoteShort(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
