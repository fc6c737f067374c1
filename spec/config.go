package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// ConfigName is the file an OCI bundle keeps its configuration in.
const ConfigName = "config.json"

// defaultMode is the mode of a config file written where none was before,
// the mode runc spec and containerd give config.json.
const defaultMode fs.FileMode = 0o644

// Config is one config.json: the runtime-spec view of it to edit, and the
// JSON it was loaded from, so that fields this runtime-spec version does not
// know are written back unchanged. A Config made by hand with only Spec set
// writes just Spec.
type Config struct {
	// Spec is the configuration to edit. Save writes what it holds.
	Spec *specs.Spec

	path string      // where the config was loaded from; "" after Parse
	mode fs.FileMode // permission bits of the loaded file; 0 after Parse
	raw  map[string]any
	old  map[string]any // Spec as loaded, marshalled: the fields it knows
}

// Load reads the config.json of the bundle in bundleDir.
func Load(bundleDir string) (*Config, error) {
	return LoadFile(filepath.Join(bundleDir, ConfigName))
}

// LoadFile reads a config from path, which need not be inside a bundle: a
// copy of a bundle's config.json elsewhere, say. Save writes it back there.
func LoadFile(path string) (*Config, error) {
	data, mode, err := ReadConfigFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("load config %q: %w", path, err)
	}
	c.path = path
	c.mode = mode
	return c, nil
}

// Parse reads a config from the JSON in data. A config made this way has no
// path: write it with SaveFile.
func Parse(data []byte) (*Config, error) {
	// Refuse what the decoders below would read differently.
	if _, err := ParseHead(data); err != nil {
		return nil, err
	}
	return ParseChecked(data)
}

// ParseChecked is Parse for data that ParseHead has accepted already: it
// does not look for duplicate keys a second time, which for a config of
// a few megabytes costs milliseconds.
func ParseChecked(data []byte) (*Config, error) {
	raw, err := decodeObject(data)
	if err != nil {
		return nil, err
	}
	s := new(specs.Spec)
	if err := json.Unmarshal(data, s); err != nil {
		return nil, err
	}
	old, err := knownFields(s)
	if err != nil {
		return nil, err
	}
	return &Config{Spec: s, raw: raw, old: old}, nil
}

// Path is the file the config was loaded from, "" if it was parsed.
func (c *Config) Path() string { return c.path }

// Marshal returns the config as JSON: the fields the runtime-spec types know
// as Spec holds them now, every other field as it was loaded. Objects are
// written with their keys sorted, so the bytes may differ from the loaded
// file even when nothing was edited; the content does not.
func (c *Config) Marshal() ([]byte, error) {
	if c.Spec == nil {
		return nil, errors.New("config has no spec")
	}
	cur, err := knownFields(c.Spec)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "\t")
	if err := enc.Encode(mergeObject(c.raw, c.old, cur)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Save writes the config back to the file it was loaded from, atomically:
// see SaveFile.
func (c *Config) Save() error {
	if c.path == "" {
		return errors.New("save config: config was not loaded from a file; use SaveFile")
	}
	return c.SaveFile(c.path)
}

// SaveFile writes the config to path atomically: to a new file in the same
// folder, synced, then renamed over path (see writeAtomic for why the
// folder is not synced). A failed
// save leaves the file at path as it was and no temporary file behind.
// The file keeps the owner, group and permission bits of the file it
// replaces; a new file gets the permission bits of the file the config
// was loaded from, else 0644. The rename gives path a file of its own: a
// file hard-linked to the old one keeps the old content.
func (c *Config) SaveFile(path string) error {
	data, err := c.Marshal()
	if err != nil {
		return fmt.Errorf("save config %q: %w", path, err)
	}
	mode, owner, err := saveAttrs(path, c.mode)
	if err != nil {
		return fmt.Errorf("save config %q: %w", path, err)
	}
	if err := writeAtomic(path, mode, owner, bytesWriter(data)); err != nil {
		return fmt.Errorf("save config %q: %w", path, err)
	}
	return nil
}

// saveAttrs picks the permission bits and owner for a config written to
// path: those of the file there, else loaded (the bits of the file the
// config was loaded from, 0 for none), else 0644. A rename would replace
// a symlink or folder at path rather than what it points to, so those
// are refused.
func saveAttrs(path string, loaded fs.FileMode) (fs.FileMode, *fileOwner, error) {
	var st unix.Stat_t
	err := unix.Lstat(path, &st)
	switch {
	case err == nil && st.Mode&unix.S_IFMT != unix.S_IFREG:
		return 0, nil, errors.New("not a regular file")
	case err == nil:
		return fs.FileMode(st.Mode & 0o777), &fileOwner{uid: int(st.Uid), gid: int(st.Gid)}, nil
	case !errors.Is(err, unix.ENOENT):
		return 0, nil, &fs.PathError{Op: "lstat", Path: path, Err: err}
	case loaded != 0:
		return loaded, nil, nil
	default:
		return defaultMode, nil, nil
	}
}

// decodeObject decodes data, which must hold one JSON object and nothing
// more, keeping numbers as written.
func decodeObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if err := dec.Decode(new(any)); !errors.Is(err, io.EOF) {
		return nil, errors.New("config has data after its JSON object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("config is not a JSON object")
	}
	return obj, nil
}

// knownFields is s as a generic JSON object: the fields the runtime-spec
// types know, in the same form decodeObject gives the raw file.
func knownFields(s *specs.Spec) (map[string]any, error) {
	data, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	return decodeObject(data)
}
