package install

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/ww-dev/ww/spec"
)

// The CRI plugin that holds runtime handlers, by config version.
const (
	criPluginV2 = "io.containerd.grpc.v1.cri"    // containerd 1.6 and 1.7, version 2
	criPluginV3 = "io.containerd.cri.v1.runtime" // containerd 2.x, versions 3 and 4
	runcShim    = "io.containerd.runc.v2"
)

// Defaults for containerd.
const (
	ContainerdConfig = "/etc/containerd/config.toml"
	ContainerdDropIn = "/etc/containerd/conf.d/ww.toml"
	backupSuffix     = ".ww-backup"
)

// Options say what to install, and where.
type Options struct {
	Config      string // the runtime's main configuration file
	DropIn      string // the file that holds ww's handler
	Handler     string // the handler's name, a RuntimeClass's handler
	RuntimePath string // the ww-runtime link the handler runs
	Uninstall   bool
}

// containerdConfig is a parsed containerd configuration file.
type containerdConfig struct {
	path    string
	data    []byte
	version int64
	imports []string
	plugins map[string]any
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
	if list, ok := doc["imports"].([]any); ok {
		for _, s := range list {
			if s, ok := s.(string); ok {
				c.imports = append(c.imports, s)
			}
		}
	}
	c.plugins, _ = doc["plugins"].(map[string]any)
	return c, nil
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

// criPlugin is the plugin that holds runtime handlers in a config of
// this version.
func criPlugin(version int64) string {
	if version == 2 {
		return criPluginV2
	}
	return criPluginV3
}

// Containerd plans adding the handler to containerd, or, with
// o.Uninstall, taking it out.
func Containerd(o Options) (*Plan, error) {
	main, err := readContainerdConfig("--config", o.Config)
	if err != nil {
		return nil, err
	}
	switch main.version {
	case 1:
		return nil, fmt.Errorf("--config %q: no version key, so a version 1 config, which ww install does not edit: "+
			"run containerd config migrate (1.7 and 2.x), or write version = 2 (1.6) at its top", o.Config)
	case 2, 3, 4:
	default:
		return nil, fmt.Errorf("--config %q: version %d is not one ww install knows (2: containerd 1.6 and 1.7; 3 and 4: 2.x)",
			o.Config, main.version)
	}
	if err := checkOurs("--drop-in", o.DropIn); err != nil {
		return nil, err
	}
	p := &Plan{Restart: "systemctl restart containerd"}
	if o.Uninstall {
		return p, containerdUninstall(p, o, main)
	}
	plugins, err := effectivePlugins(main, o.DropIn)
	if err != nil {
		return nil, err
	}
	dropIn, err := containerdDropIn(o, main, plugins)
	if err != nil {
		return nil, err
	}
	why := "the " + o.Handler + " runtime handler"
	if main.version == 2 {
		why = "containerd's CRI section with the " + o.Handler + " runtime handler"
		p.Notes = append(p.Notes, fmt.Sprintf("containerd 1.x takes a plugin's section whole from the last file that has it: "+
			"%s holds a copy of the CRI section of %s; after changing CRI settings there, run ww install again", o.DropIn, o.Config))
	}
	if err := p.Add(Change{Path: o.DropIn, Data: dropIn, Why: why}); err != nil {
		return nil, err
	}
	if !imported(main, o.DropIn) {
		edited, err := addImport(main.data, o.DropIn)
		if err != nil {
			return nil, fmt.Errorf("--config %q: %w", o.Config, err)
		}
		mode := fileMode(o.Config)
		if err := p.Add(Change{Path: o.Config + backupSuffix, Data: main.data, Mode: mode,
			Why: "a copy of " + o.Config + " as it was, put back on uninstall"}); err != nil {
			return nil, err
		}
		if err := p.Add(Change{Path: o.Config, Data: edited, Mode: mode, Why: "imports " + o.DropIn}); err != nil {
			return nil, err
		}
	}
	if h := handlerIn(main.plugins, main.version, o.Handler); h != nil {
		p.Notes = append(p.Notes, fmt.Sprintf("%s also defines the %s handler; the drop-in's values win", o.Config, o.Handler))
	}
	return p, nil
}

// containerdUninstall plans taking out what Containerd put in: the
// import first, so containerd never imports a missing file, then the
// drop-in.
func containerdUninstall(p *Plan, o Options, main *containerdConfig) error {
	if containsString(main.imports, o.DropIn) {
		restored, err := removeImport(main.data, o.DropIn)
		if err != nil {
			return fmt.Errorf("--config %q: %w", o.Config, err)
		}
		backup := o.Config + backupSuffix
		why := "no longer imports " + o.DropIn
		if old, err := os.ReadFile(backup); err == nil {
			// The copy is put back only if nothing else has changed since.
			if again, err := addImport(old, o.DropIn); err == nil && bytes.Equal(again, main.data) {
				restored = old
				why = "put back as it was before ww install"
			}
		}
		if err := p.Add(Change{Path: o.Config, Data: restored, Why: why}); err != nil {
			return err
		}
		if bytes.Equal(restored, mustRead(backup)) {
			if err := p.Add(Change{Path: backup, Why: "the copy is back in place"}); err != nil {
				return err
			}
		}
	}
	return p.Add(Change{Path: o.DropIn, Why: "the " + o.Handler + " runtime handler"})
}

func mustRead(path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	return data
}

func fileMode(path string) os.FileMode {
	if fi, err := os.Stat(path); err == nil {
		return fi.Mode().Perm()
	}
	return 0o644
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
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

// effectivePlugins is the plugins section containerd would see without
// ww's drop-in: the main file's, with every other import merged in as
// containerd merges it (1.x takes a plugin's section whole from the last
// file; 2.x merges sections key by key).
func effectivePlugins(main *containerdConfig, skip string) (map[string]any, error) {
	plugins := deepCopy(main.plugins)
	seen := map[string]bool{main.path: true, skip: true}
	var walk func(c *containerdConfig) error
	walk = func(c *containerdConfig) error {
		for _, entry := range c.imports {
			files, err := filepath.Glob(resolveImport(c, entry))
			if err != nil {
				return fmt.Errorf("--config %q: imports %q: %w", main.path, entry, err)
			}
			for _, f := range files {
				if seen[f] {
					continue
				}
				seen[f] = true
				imp, err := readContainerdConfig("imported file", f)
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				if err != nil {
					return err
				}
				for name, section := range imp.plugins {
					if main.version == 2 {
						plugins[name] = deepCopy(section)
					} else {
						plugins[name] = merge(plugins[name], section)
					}
				}
				if err := walk(imp); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if plugins == nil {
		plugins = map[string]any{}
	}
	return plugins, walk(main)
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

// table returns m[keys...] as a table, making the missing ones if make.
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

func handlerIn(plugins map[string]any, version int64, name string) map[string]any {
	if plugins == nil {
		return nil
	}
	return table(plugins, false, criPlugin(version), "containerd", "runtimes", name)
}

// baseHandler is the runc handler that ww's copies: the default runtime
// if it runs runc's shim, else the one named runc. containerd does not
// inherit options between handlers, so ww's handler must repeat them
// (SystemdCgroup above all).
func baseHandler(plugins map[string]any, version int64, handler string) map[string]any {
	runtimes := table(plugins, false, criPlugin(version), "containerd", "runtimes")
	if runtimes == nil {
		return nil
	}
	names := []string{"runc"}
	if ctrd := table(plugins, false, criPlugin(version), "containerd"); ctrd != nil {
		if name, ok := ctrd["default_runtime_name"].(string); ok && name != "" {
			names = []string{name, "runc"}
		}
	}
	for _, name := range names {
		h, ok := runtimes[name].(map[string]any)
		if !ok || name == handler {
			continue
		}
		if t, _ := h["runtime_type"].(string); t == runcShim || t == "" {
			return h
		}
	}
	return nil
}

// containerdDropIn is the drop-in's content: ww's handler alone for 2.x,
// which merges it into the CRI section, and the whole CRI section with
// the handler in it for 1.x, which would otherwise lose the rest.
func containerdDropIn(o Options, main *containerdConfig, plugins map[string]any) ([]byte, error) {
	handler := deepCopy(baseHandler(plugins, main.version, o.Handler))
	if handler == nil {
		handler = map[string]any{}
	}
	handler["runtime_type"] = runcShim
	handler["pod_annotations"] = AnnotationPatterns()
	handler["container_annotations"] = AnnotationPatterns()
	options := table(handler, true, "options")
	options["BinaryName"] = o.RuntimePath

	out := map[string]any{"version": main.version}
	var cri map[string]any
	if main.version == 2 {
		cri = deepCopy(table(plugins, true, criPluginV2))
	} else {
		cri = map[string]any{}
	}
	table(cri, true, "containerd", "runtimes")[o.Handler] = handler
	out["plugins"] = map[string]any{criPlugin(main.version): cri}

	var b bytes.Buffer
	fmt.Fprintf(&b, "%s for containerd %s: the %s runtime handler.\n", marker, containerdRelease(main.version), o.Handler)
	fmt.Fprintf(&b, "# ww install containerd --uninstall takes it out again.\n\n")
	enc := toml.NewEncoder(&b)
	enc.SetIndentTables(true)
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func containerdRelease(version int64) string {
	if version == 2 {
		return "1.6/1.7 (config version 2)"
	}
	return fmt.Sprintf("2.x (config version %d)", version)
}

// AnnotationPatterns are the annotation keys that a containerd handler
// must pass to ww runtime, as containerd matches them (path.Match).
func AnnotationPatterns() []any {
	var out []any
	for _, prefix := range []string{spec.FDAnnotationPrefix, spec.OptionAnnotationPrefix} {
		out = append(out, prefix+"*", "*."+prefix+"*")
	}
	return out
}
