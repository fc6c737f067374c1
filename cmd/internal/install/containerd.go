package install

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

// Containerd plans adding the handler to containerd, or, with
// o.Uninstall, taking it out.
func Containerd(o Options) (*Plan, error) {
	main, err := readContainerdConfig("--config", o.Config)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w (containerd runs on its built-in configuration: write it out first with "+
			"containerd config default > %s)", err, o.Config)
	}
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
	p.Handler = o.Handler
	return p, containerdInstall(p, o, main)
}

// containerdInstall plans the drop-in first, then the import of it, so
// containerd never imports a missing file.
func containerdInstall(p *Plan, o Options, main *containerdConfig) error {
	loaded, err := imports(main, o.DropIn)
	if err != nil {
		return err
	}
	dropIn, err := containerdDropIn(o, main, effectivePlugins(main, loaded, o.DropIn))
	if err != nil {
		return err
	}
	why := "the " + o.Handler + " runtime handler"
	if main.version == 2 {
		why = "containerd's CRI section with the " + o.Handler + " runtime handler"
		p.Notes = append(p.Notes, fmt.Sprintf("containerd 1.x takes a plugin's section whole from the last file that has it: "+
			"%s holds a copy of the CRI section of %s; after changing CRI settings there, run ww install again", o.DropIn, o.Config))
	}
	// The drop-in gets the main file's mode: a 1.x one holds a copy of
	// the CRI section, registry credentials included.
	mode := fileMode(o.Config)
	if err := p.Add(Change{Path: o.DropIn, Data: dropIn, Mode: mode, Why: why}); err != nil {
		return err
	}
	if !imported(main, o.DropIn) {
		edited, err := addImport(main.data, o.DropIn)
		if err != nil {
			return fmt.Errorf("--config %q: %w", o.Config, err)
		}
		if err := p.Add(Change{Path: o.Config + backupSuffix, Data: main.data, Mode: mode,
			Why: "a copy of " + o.Config + " as it was, put back on uninstall"}); err != nil {
			return err
		}
		if err := p.Add(Change{Path: o.Config, Data: edited, Mode: mode, Why: "imports " + o.DropIn}); err != nil {
			return err
		}
	}
	for _, f := range shadowing(main, loaded, o.DropIn) {
		p.Warnings = append(p.Warnings, fmt.Sprintf("containerd 1.x loads %s after %s, and its CRI section replaces "+
			"the drop-in's: the %s handler is lost until that file sorts before it or is imported earlier", f, o.DropIn, o.Handler))
	}
	for _, name := range main.disabled {
		if name == "cri" || name == criPlugin(main.version) || name == criPluginV2 {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s disables the CRI plugin (disabled_plugins = [%q]): "+
				"the kubelet cannot use this containerd until it is taken out of the list", o.Config, name))
		}
	}
	if h := handlerIn(main.plugins, main.version, o.Handler); h != nil {
		p.Notes = append(p.Notes, fmt.Sprintf("%s also defines the %s handler; the drop-in's values win", o.Config, o.Handler))
	}
	return nil
}

// containerdUninstall plans taking out what Containerd put in: the
// import first, so containerd never imports a missing file, then the
// drop-in.
func containerdUninstall(p *Plan, o Options, main *containerdConfig) error {
	// containerd refuses to start when a file it imports by name, not by
	// a pattern, is missing: an import that ww install did not write
	// keeps the drop-in.
	for _, entry := range main.imports {
		if entry != o.DropIn && !strings.Contains(entry, "*") && filepath.Clean(resolveImport(main, entry)) == o.DropIn {
			return fmt.Errorf("--config %q: imports the drop-in as %q, which ww install did not write: take that import out first; the drop-in stays",
				o.Config, entry)
		}
	}
	if slices.Contains(main.imports, o.DropIn) {
		restored, err := removeImport(main.data, o.DropIn)
		if err != nil {
			return fmt.Errorf("--config %q: %w", o.Config, err)
		}
		backup := o.Config + backupSuffix
		why := "no longer imports " + o.DropIn
		old, err := os.ReadFile(backup)
		if err != nil {
			old = nil
		} else if again, err := addImport(old, o.DropIn); err == nil && bytes.Equal(again, main.data) {
			// The copy is put back only if nothing else has changed since.
			restored = old
			why = "put back as it was before ww install"
		}
		if err := p.Add(Change{Path: o.Config, Data: restored, Why: why}); err != nil {
			return err
		}
		if bytes.Equal(restored, old) {
			if err := p.Add(Change{Path: backup, Why: "the copy is back in place"}); err != nil {
				return err
			}
		}
	}
	return p.Add(Change{Path: o.DropIn, Why: "the " + o.Handler + " runtime handler"})
}

func fileMode(path string) os.FileMode {
	if fi, err := os.Stat(path); err == nil {
		return fi.Mode().Perm()
	}
	return 0o644
}
