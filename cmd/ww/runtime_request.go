package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/ww-dev/ww/fdmgr"
	"github.com/ww-dev/ww/spec"
)

// createRequest is what one create or run asks of ww, read from the
// bundle's config.json before anything is opened: the first part of the
// runtime path (read → gate → open → edit → start).
type createRequest struct {
	path string // the bundle's config.json
	data []byte // its bytes as read
	head *spec.Head
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
	data, _, err := spec.ReadConfigFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("load config %q: %w", path, err)
	}
	return parseRequest(path, data)
}

// parseRequest is readRequest once the config's bytes are read.
func parseRequest(path string, data []byte) (*createRequest, error) {
	head, err := spec.ParseHead(data)
	if err != nil {
		return nil, fmt.Errorf("load config %q: %w", path, err)
	}
	reqs, err := spec.ParseAnnotations(head.Annotations)
	if err != nil {
		return nil, err
	}
	r := &createRequest{path: path, data: data, head: head, reqs: reqs, pod: spec.PodListeners(head.Annotations)}
	for _, kv := range head.Env {
		if strings.HasPrefix(kv, fdmgr.EnvPrefix) {
			r.stale = true
			break
		}
	}
	return r, nil
}

// edits reports whether ww writes the config: for fds asked for, or to
// remove the variables of an earlier edit. Otherwise the lower runtime
// gets the bundle as it is.
func (r *createRequest) edits() bool { return len(r.reqs.FDs) > 0 || r.stale }
