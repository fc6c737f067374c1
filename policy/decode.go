package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/ww-dev/ww/fdmgr"
)

// MaxFileSize is the largest policy file read: 1 MiB.
const MaxFileSize = 1 << 20

// Decode decodes the policy file at path from data: YAML of the format in
// doc.go, decoded strictly. A key given twice, an unknown key, a value of
// the wrong type, a bad source, glob, folder or HOST:PORT is an error
// that names the key path and the value:
//
//	policy /etc/ww/policy.yaml: raw[0].files[1]: "srv": not an absolute path
//
// path only names the policy; Decode reads no file.
func Decode(path string, data []byte) (*Policy, error) {
	p, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", clip(path), err)
	}
	p.path = path
	return p, nil
}

func decode(data []byte) (*Policy, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%d bytes, more than the %d a policy may have", len(data), MaxFileSize)
	}
	v, err := yamlDocument(data)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, errors.New(`the file is empty; a policy has at least "version: 1"`)
	}
	top, err := mapping(v, "", "version", "resources", "raw", "hostNetwork", "audit", "hooks")
	if err != nil {
		return nil, err
	}
	if err := decodeVersion(top); err != nil {
		return nil, err
	}
	p := &Policy{origin: fromFile, hostNetwork: []string{Local}}
	if p.resources, err = decodeResources(get(top, "resources")); err != nil {
		return nil, err
	}
	if p.raw, err = decodeRaw(get(top, "raw")); err != nil {
		return nil, err
	}
	if hn, ok := top.get("hostNetwork"); ok {
		m, err := mapping(hn, "hostNetwork", "namespaces")
		if err != nil {
			return nil, err
		}
		if p.hostNetwork, err = namespaces(m, "hostNetwork"); err != nil {
			return nil, err
		}
	}
	if a, ok := top.get("audit"); ok {
		if p.audit, err = text(a, "audit"); err != nil {
			return nil, err
		}
		if err := checkFolder(p.audit); err != nil {
			return nil, &fieldError{at: "audit", err: err}
		}
	}
	if h, ok := top.get("hooks"); ok {
		b, ok := h.(bool)
		if !ok {
			return nil, errAt("hooks", "want true or false, got %s", typeName(h))
		}
		p.hooks = b
	}
	return p, nil
}

func decodeVersion(top yamlMap) error {
	v, ok := top.get("version")
	if !ok {
		return errAt("version", "missing; this format is version: %d", Version)
	}
	if n, ok := v.(json.Number); !ok || n.String() != "1" {
		return errAt("version", "want %d, got %s", Version, typeName(v))
	}
	return nil
}

func decodeResources(v any) (map[string]Resource, error) {
	if v == nil {
		return make(map[string]Resource), nil
	}
	m, err := mapping(v, "resources")
	if err != nil {
		return nil, err
	}
	// In the file's order, and in sorted order only to name the first
	// resource in error the same way as ever: sorting a node's resources
	// cost a create with a large policy more than the rest.
	out, err := decodeResourcesIn(m)
	if err != nil {
		sorted := slices.Clone(m)
		slices.SortFunc(sorted, func(a, b yamlPair) int { return strings.Compare(a.key, b.key) })
		_, err = decodeResourcesIn(sorted)
		return nil, err
	}
	return out, nil
}

// decodeResourcesIn decodes the resources of m, in their order, up to
// the first error.
func decodeResourcesIn(m yamlMap) (map[string]Resource, error) {
	out := make(map[string]Resource, len(m))
	for _, kv := range m {
		// Without its key path first: the paths of a node's resources
		// cost an allocation each, and only an error needs its own.
		r, err := decodeResource(kv.key, kv.val, "")
		if err != nil {
			_, err = decodeResource(kv.key, kv.val, child("resources", kv.key))
			return nil, err
		}
		out[kv.key] = r
	}
	return out, nil
}

// decodeResource decodes resource name, v, at key path at: the path that
// its errors name, left out ("") where the error is not wanted.
func decodeResource(name string, v any, at string) (Resource, error) {
	if err := fdmgr.ValidateName(name); err != nil {
		return Resource{}, errAt(at, "resource %s", shorten(err))
	}
	r, err := mapping(v, at, "source", "namespaces")
	if err != nil {
		return Resource{}, err
	}
	src, ok := r.get("source")
	if !ok {
		return Resource{}, errAt(child(at, "source"), "missing")
	}
	s, err := text(src, child(at, "source"))
	if err != nil {
		return Resource{}, err
	}
	res := Resource{Name: name}
	if res.Source, err = resourceSource(s); err != nil {
		return Resource{}, &fieldError{at: child(at, "source"), err: err}
	}
	if res.Namespaces, err = namespaces(r, at); err != nil {
		return Resource{}, err
	}
	return res, nil
}

// resourceSource parses a resource's source: any source but an fd or
// another resource, with absolute paths (ww runtime works in the bundle,
// which a relative path would name).
func resourceSource(text string) (fdmgr.Source, error) {
	if strings.HasPrefix(text, NodePrefix) {
		return fdmgr.Source{}, fmt.Errorf("%s: a resource cannot name another", quote(text))
	}
	s, err := fdmgr.ParseSource(text)
	switch {
	case err != nil:
		return fdmgr.Source{}, fmt.Errorf("%s: %s", quote(text), shorten(err))
	case s.IsFD():
		return fdmgr.Source{}, fmt.Errorf("%s: an fd number means nothing in a policy; name a file or socket", quote(text))
	case s.Path != "" && !strings.HasPrefix(s.Path, "/") && !s.Abstract():
		return fdmgr.Source{}, fmt.Errorf("%s: path %s is not absolute", quote(text), quote(s.Path))
	}
	return s, nil
}

func decodeRaw(v any) ([]RawRule, error) {
	l, err := list(v, "raw")
	if err != nil {
		return nil, err
	}
	out := make([]RawRule, 0, len(l))
	for i, e := range l {
		at := index("raw", i)
		m, err := mapping(e, at, "namespaces", "files", "unix", "tcp")
		if err != nil {
			return nil, err
		}
		var r RawRule
		if r.Namespaces, err = namespaces(m, at); err != nil {
			return nil, err
		}
		if r.Files, err = texts(get(m, "files"), child(at, "files"), checkFolder); err != nil {
			return nil, err
		}
		if r.Unix, err = texts(get(m, "unix"), child(at, "unix"), checkFolder); err != nil {
			return nil, err
		}
		check := func(s string) error {
			hp, err := parseHostPort(s)
			if err == nil {
				r.tcp = append(r.tcp, hp)
			}
			return err
		}
		if r.TCP, err = texts(get(m, "tcp"), child(at, "tcp"), check); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// namespaces reads the required namespaces list of the mapping at at.
func namespaces(m yamlMap, at string) ([]string, error) {
	at = child(at, "namespaces")
	v, ok := m.get("namespaces")
	if !ok {
		return nil, errAt(at, "missing; list namespace names, globs or %s", Local)
	}
	return texts(v, at, checkPattern)
}

// checkFolder checks a folder of raw, or the audit file: an absolute,
// clean path, so that "beneath" is a plain prefix.
func checkFolder(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("%s: not an absolute path", quote(p))
	case path.Clean(p) != p:
		return fmt.Errorf("%s: not a clean path (want %s)", quote(p), quote(path.Clean(p)))
	}
	return nil
}

// parseHostPort parses a tcp entry of raw: HOST:PORT as tcp: takes it.
func parseHostPort(s string) (hostPort, error) {
	if strings.Contains(s, "?") {
		return hostPort{}, fmt.Errorf("%s: not HOST:PORT (no options here)", quote(s))
	}
	src, err := fdmgr.ParseSource("tcp:" + s)
	if err != nil {
		return hostPort{}, fmt.Errorf("%s: not HOST:PORT: %s", quote(s), shorten(err))
	}
	return hostPort{host: src.Host, port: src.Port}, nil
}
