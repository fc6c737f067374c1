package install

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// containerdConfig is a parsed containerd configuration file.
type containerdConfig struct {
	path    string
	data    []byte
	version int64
	imports []string
	plugins map[string]any
	// disabled is disabled_plugins: Docker's containerd packages
	// disable the CRI.
	disabled []string
}

func readContainerdConfig(flagName, path string) (*containerdConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", flagName, path, pathErr(err))
	}
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s %q: %s", flagName, path, oneLine(err))
	}
	c := &containerdConfig{path: path, data: data}
	switch v := doc["version"].(type) {
	case nil:
		c.version = 1
	case int64:
		c.version = v
	default:
		return nil, fmt.Errorf("%s %q: version %#v is not a number", flagName, path, v)
	}
	c.imports = stringList(doc["imports"])
	c.plugins, _ = doc["plugins"].(map[string]any)
	c.disabled = stringList(doc["disabled_plugins"])
	return c, nil
}

// stringList is the strings of a decoded TOML array, nil for anything else.
func stringList(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// pathErr is err without the path, which the caller names.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// oneLine is a decoding error on one line, with its position if known.
func oneLine(err error) string {
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		return fmt.Sprintf("line %d, column %d: %s", row, col, strings.ReplaceAll(de.Error(), "\n", " "))
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

// resolveImport is an imports entry as containerd reads it: relative to
// the main file's folder.
func resolveImport(main *containerdConfig, entry string) string {
	if filepath.IsAbs(entry) {
		return entry
	}
	return filepath.Join(filepath.Dir(main.path), entry)
}

// imported says whether the main file's imports already name path, by
// itself or by a pattern.
func imported(main *containerdConfig, path string) bool {
	for _, entry := range main.imports {
		if ok, _ := filepath.Match(resolveImport(main, entry), path); ok {
			return true
		}
	}
	return false
}

// imports lists the files that main imports, in the order containerd
// loads them (each entry in turn, a pattern's files sorted, each file's
// own imports after it), with dropIn in the place it takes once it
// exists. dropIn itself is listed, not read.
func imports(main *containerdConfig, dropIn string) ([]*containerdConfig, error) {
	var out []*containerdConfig
	seen := map[string]bool{main.path: true}
	var walk func(c *containerdConfig) error
	walk = func(c *containerdConfig) error {
		for _, entry := range c.imports {
			pattern := resolveImport(c, entry)
			files, err := filepath.Glob(pattern)
			if err != nil {
				return fmt.Errorf("--config %q: imports %q: %w", main.path, entry, err)
			}
			if ok, _ := filepath.Match(pattern, dropIn); ok && !slices.Contains(files, dropIn) {
				files = append(files, dropIn)
				slices.Sort(files)
			}
			for _, f := range files {
				if seen[f] {
					continue
				}
				seen[f] = true
				if f == dropIn {
					out = append(out, &containerdConfig{path: f})
					continue
				}
				imp, err := readContainerdConfig("imported file", f)
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				if err != nil {
					return err
				}
				out = append(out, imp)
				if err := walk(imp); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return out, walk(main)
}

// effectivePlugins is the plugins section containerd would see without
// ww's drop-in: the main file's, with every other import merged in as
// containerd merges it (1.x takes a plugin's section whole from the last
// file; 2.x merges sections key by key).
func effectivePlugins(main *containerdConfig, imported []*containerdConfig, dropIn string) map[string]any {
	plugins := deepCopy(main.plugins)
	if plugins == nil {
		plugins = map[string]any{}
	}
	for _, imp := range imported {
		if imp.path == dropIn {
			continue
		}
		for name, section := range imp.plugins {
			if main.version == 2 {
				plugins[name] = deepCopy(section)
			} else {
				plugins[name] = merge(plugins[name], section)
			}
		}
	}
	return plugins
}

// shadowing lists the files that containerd 1.x loads after dropIn and
// that hold a CRI section, which then replaces the drop-in's.
func shadowing(main *containerdConfig, imported []*containerdConfig, dropIn string) []string {
	var out []string
	after := false
	for _, imp := range imported {
		if imp.path == dropIn {
			after = true
		} else if _, ok := imp.plugins[criPluginV2]; ok && after && main.version == 2 {
			out = append(out, imp.path)
		}
	}
	return out
}

// merge lays from over to, key by key into tables.
func merge(to, from any) any {
	t, ok1 := to.(map[string]any)
	f, ok2 := from.(map[string]any)
	if !ok1 || !ok2 {
		return deepCopy(from)
	}
	out := deepCopy(t)
	for k, v := range f {
		out[k] = merge(out[k], v)
	}
	return out
}

func deepCopy[T any](v T) T {
	var a any = v
	switch x := a.(type) {
	case map[string]any:
		if x == nil {
			return v
		}
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return any(m).(T)
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return any(s).(T)
	}
	return v
}

// table returns m[keys...] as a table, making the missing ones if create.
func table(m map[string]any, create bool, keys ...string) map[string]any {
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			if !create {
				return nil
			}
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	return m
}
