package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
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
	dec := json.NewDecoder(bytes.NewReader(data))
	h := new(Head)
	_, err := eachKey(dec, "config", false, func(key string) error {
		switch strings.ToLower(key) {
		case "annotations":
			m, err := stringMap(dec)
			if err != nil {
				return fmt.Errorf("annotations: %w", err)
			}
			h.Annotations = m
		case "process":
			return h.readProcess(dec)
		default:
			return skipValue(dec)
		}
		return nil
	})
	if errors.Is(err, io.EOF) {
		// A config cut short, by a full disk say.
		return nil, io.ErrUnexpectedEOF
	}
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("config has data after its JSON object")
	}
	return h, nil
}

func (h *Head) readProcess(dec *json.Decoder) error {
	null, err := eachKey(dec, "process", true, func(key string) error {
		if !strings.EqualFold(key, "env") {
			return skipValue(dec)
		}
		if err := dec.Decode(&h.Env); err != nil {
			return fmt.Errorf("process.env: %w", err)
		}
		return nil
	})
	h.HasProcess = err == nil && !null
	return err
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
		folded := strings.ToLower(key)
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

// quoteShort cuts a long string for an error message: a hostile config's
// megabyte key must not become a megabyte log line.
func quoteShort(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
