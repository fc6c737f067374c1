package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ww-dev/ww/fdmgr"
	"github.com/ww-dev/ww/spec"
)

// createRequest is what one create or run asks of ww, read from the
// bundle's config.json before anything is opened: the first part of the
// runtime path (read → gate → open → edit → start).
type createRequest struct {
	path string // the bundle's config.json
	data []byte // its bytes as read
	raw  *spec.RawConfig
	head *spec.Head // raw's
	reqs spec.Requests
	// pod are the listeners a pod's sandbox holds for the pod's
	// containers (see createSandbox); none for any other container.
	pod []spec.FDRequest
	// stale is whether process.env holds WW_FD_* variables, left by an
	// earlier create of this bundle: they are ww's, and must go when
	// nothing asks for them any more.
	stale bool
	// hooks says that the node policy asks for ww's hooks in the config.
	hooks bool
}

// readRequest reads the config.json of bundle and what its annotations
// ask for. It opens nothing but the config, and only to read it.
func readRequest(bundle string) (*createRequest, error) {
	path := filepath.Join(bundle, spec.ConfigName)
	data, err := readConfig(path)
	if err != nil {
		return nil, err
	}
	return parseRequest(path, data)
}

func readConfig(path string) ([]byte, error) {
	data, _, err := spec.ReadConfigFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("load config %q: %w", path, err)
	}
	return data, nil
}

// parseRequest is readRequest once the config's bytes are read.
func parseRequest(path string, data []byte) (*createRequest, error) {
	raw, err := spec.ParseRaw(data)
	if err != nil {
		return nil, fmt.Errorf("load config %q: %w", path, err)
	}
	reqs, err := spec.ParseAnnotations(raw.Annotations)
	if err != nil {
		return nil, err
	}
	r := &createRequest{path: path, data: data, raw: raw, head: &raw.Head, reqs: reqs, pod: spec.PodListeners(raw.Head.Annotations)}
	for _, kv := range raw.Env {
		if strings.HasPrefix(kv, fdmgr.EnvPrefix) {
			r.stale = true
			break
		}
	}
	return r, nil
}

// reread reads the config of r again, and parses it again only when it
// changed.
func (r *createRequest) reread() (*createRequest, error) {
	data, err := readConfig(r.path)
	if err != nil {
		return nil, err
	}
	if bytes.Equal(data, r.data) {
		return r, nil
	}
	return parseRequest(r.path, data)
}

// view is the typed view of the config that the checks and the gate
// read: its namespaces, and nothing else. The edit changes process.env
// in the config's own bytes (spec.RawConfig).
func (r *createRequest) view() (*specs.Spec, error) {
	ns, err := r.raw.Namespaces()
	if err != nil {
		return nil, fmt.Errorf("load config %q: %w", r.path, err)
	}
	return &specs.Spec{Linux: &specs.Linux{Namespaces: ns}}, nil
}

// edits reports whether ww writes the config: for fds asked for, or to
// remove the variables of an earlier edit. Otherwise the lower runtime
// gets the bundle as it is.
func (r *createRequest) edits() bool { return len(r.reqs.FDs) > 0 || r.stale }
