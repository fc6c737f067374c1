package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// EnvModifier is a Modifier that edits process.env and nothing else. A
// RawConfig applies it to the env as read, without decoding the rest of
// the config into the runtime-spec types.
type EnvModifier interface {
	Modifier
	// ModifyEnv edits *env, the process.env of a config; a nil env
	// means the config has no process. Like Modify, it checks before it
	// changes anything.
	ModifyEnv(env *[]string) error
}

// RawConfig is a config.json as read, edited in place: ParseRaw reads the
// Head and notes where process.env is, and Apply rewrites the value of
// process.env alone, keeping every other byte of the file as it was.
// The typed decode and encode of the whole config (Parse, Marshal) are
// paid only for a modifier that edits more than process.env: in a
// process that starts afresh for every call they cost a runtime wrapper
// more than the rest of its work together (callgrind, 2026-12-01: `ww
// runtime run` with two fds executed 6.5 million instructions with them,
// 1.8 million without).
type RawConfig struct {
	Head
	data []byte
	at   *layout
}

// ParseRaw reads the config in data as ParseHead does, refusing the same
// configs. data must not change while the RawConfig is in use.
func ParseRaw(data []byte) (*RawConfig, error) {
	h, at, err := parseHead(data)
	if err != nil {
		return nil, err
	}
	return &RawConfig{Head: *h, data: data, at: at}, nil
}

// Bytes is the config as it stands.
func (c *RawConfig) Bytes() []byte { return c.data }

// Namespaces is linux.namespaces, nil when the config has none. Only
// this part of linux is decoded.
func (c *RawConfig) Namespaces() ([]specs.LinuxNamespace, error) {
	if c.at.linux == nil {
		return nil, nil
	}
	if ns, ok := namespacesFast(c.at.linux); ok {
		return ns, nil
	}
	var l linuxNamespaces
	if err := json.Unmarshal(c.at.linux, &l); err != nil {
		return nil, fmt.Errorf("linux: %w", err)
	}
	return l.Namespaces, nil
}

// linuxNamespaces is the part of linux that Namespaces decodes.
type linuxNamespaces struct {
	Namespaces []specs.LinuxNamespace `json:"namespaces"`
}

// Apply validates every modifier in mods, then applies them in order, as
// Apply does to a Spec. When each is an EnvModifier, only the value of
// process.env changes in the bytes; otherwise the config is decoded into
// the runtime-spec types, edited and encoded as Config.Marshal does. On
// error the config is as it was.
func (c *RawConfig) Apply(mods ...Modifier) error {
	for _, m := range mods {
		if _, ok := m.(EnvModifier); !ok {
			return c.applyTyped(mods)
		}
	}
	if err := validate(mods); err != nil {
		return err
	}
	var env *[]string
	if c.HasProcess {
		e := slices.Clone(c.Env)
		env = &e
	}
	for _, m := range mods {
		if err := m.(EnvModifier).ModifyEnv(env); err != nil {
			return err
		}
	}
	if env == nil {
		return nil // no modifier: nothing to write
	}
	data, at, err := c.withEnv(*env)
	if err != nil {
		return err
	}
	// What moved is known: no second parse.
	c.data, c.at, c.Env = data, at, *env
	return nil
}

// applyTyped applies mods through the runtime-spec types.
func (c *RawConfig) applyTyped(mods []Modifier) error {
	cfg, err := ParseChecked(c.data)
	if err != nil {
		return err
	}
	if err := Apply(cfg.Spec, mods...); err != nil {
		return err
	}
	data, err := cfg.Marshal()
	if err != nil {
		return err
	}
	return c.reset(data)
}

// reset makes c the config in data, which an edit of c wrote.
func (c *RawConfig) reset(data []byte) error {
	n, err := ParseRaw(data)
	if err != nil {
		return fmt.Errorf("edited config: %w", err)
	}
	*c = *n
	return nil
}

// withEnv is the config with env as the value of process.env, and where
// its parts now are: written where the old value was, or as a new first
// key of process. The array is laid out as the old one was, one entry a
// line or all on one.
func (c *RawConfig) withEnv(env []string) ([]byte, *layout, error) {
	if !c.HasProcess {
		return nil, nil, ErrNoProcess
	}
	at := *c.at
	if at.envEnd > 0 {
		prefix, indent, multiline := arrayLayout(c.data[at.envStart:at.envEnd], lineIndent(c.data, at.envStart))
		value, err := encodeEnv(env, prefix, indent, multiline)
		if err != nil {
			return nil, nil, err
		}
		data := slices.Concat(c.data[:at.envStart], value, c.data[at.envEnd:])
		at.envEnd = at.envStart + len(value)
		return data, &at, nil
	}
	// A new key goes first, with the white space the next key has.
	space := c.data[at.procOpen:valueStart(c.data, at.procOpen)]
	if at.procEmpty {
		space = nil
	}
	value, err := encodeEnv(env, "", "", false)
	if err != nil {
		return nil, nil, err
	}
	key := []byte(`"env": `)
	sep := []byte(",")
	if at.procEmpty {
		sep = nil
	}
	data := slices.Concat(c.data[:at.procOpen], space, key, value, sep, c.data[at.procOpen:])
	at.envStart = at.procOpen + len(space) + len(key)
	at.envEnd = at.envStart + len(value)
	at.procEmpty = false
	return data, &at, nil
}

// lineIndent is the white space that starts the line holding offset i.
func lineIndent(data []byte, i int) string {
	start := bytes.LastIndexByte(data[:i], '\n') + 1
	end := start
	for end < i && (data[end] == ' ' || data[end] == '\t') {
		end++
	}
	return string(data[start:end])
}

// arrayLayout reads how the JSON array old is laid out: on several lines,
// with each entry indented by indent more than the line of its key
// (whose indent is prefix), or on one line.
func arrayLayout(old []byte, prefix string) (string, string, bool) {
	if len(old) < 2 || old[0] != '[' {
		return prefix, "", false // null
	}
	inner := bytes.TrimSpace(old[1 : len(old)-1])
	nl := bytes.IndexByte(old, '\n')
	if len(inner) == 0 || nl < 0 {
		return prefix, "", false
	}
	first := old[nl+1:]
	n := 0
	for n < len(first) && (first[n] == ' ' || first[n] == '\t') {
		n++
	}
	indent, ok := bytes.CutPrefix(first[:n], []byte(prefix))
	if !ok || len(indent) == 0 {
		indent = []byte("\t")
	}
	return prefix, string(indent), true
}

// encodeEnv writes env as a JSON array, HTML characters as they are, as
// Config.Marshal writes strings.
func encodeEnv(env []string, prefix, indent string, multiline bool) ([]byte, error) {
	if env == nil {
		env = []string{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if multiline {
		enc.SetIndent(prefix, indent)
	}
	if err := enc.Encode(env); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// SaveFileLater writes the config to path as SaveFile does, except that
// the new file's sync to the disk and the release of the old file wait
// for the returned save's Finish, which the caller must call (see
// PendingSave for what a crash before it can do).
func (c *RawConfig) SaveFileLater(path string) (*PendingSave, error) {
	mode, owner, err := saveAttrs(path, 0)
	if err != nil {
		return nil, fmt.Errorf("save config %q: %w", path, err)
	}
	p, err := writeAtomicLater(path, mode, owner, bytesWriter(c.data))
	if err != nil {
		return nil, fmt.Errorf("save config %q: %w", path, err)
	}
	return p, nil
}

// SaveFile writes the config to path atomically, as Config.SaveFile
// does; a new file gets the permission bits 0644.
func (c *RawConfig) SaveFile(path string) error {
	mode, owner, err := saveAttrs(path, 0)
	if err != nil {
		return fmt.Errorf("save config %q: %w", path, err)
	}
	if err := writeAtomic(path, mode, owner, bytesWriter(c.data)); err != nil {
		return fmt.Errorf("save config %q: %w", path, err)
	}
	return nil
}
