package install

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Defaults for the OCI hooks.
const (
	HooksDir = "/etc/containers/oci/hooks.d"
	WWPath   = "/usr/local/bin/ww"
)

// hookStages are the stages ww hook serves, one hooks.d file each.
var hookStages = []string{"createRuntime", "poststop"}

// hookMarker is the value of the "comment" key that every hooks.d file
// ww install writes has. JSON has no comment lines; the containers/common
// decoder (json.Unmarshal into its 1.0.0 Hook) ignores a key it does not
// know, so the key costs the engines nothing.
const hookMarker = "Written by ww install: ww install hooks --uninstall removes this file"

// HookOptions says where the hooks go and which ww they run.
type HookOptions struct {
	Dir       string // the hooks.d folder
	WWPath    string // the ww binary the hooks run
	Uninstall bool
}

// hookFileName is the hooks.d file of stage, as deploy/hooks.d names it.
func hookFileName(stage string) string {
	return "ww-" + strings.ToLower(stage) + ".json"
}

// hookJSON is the hooks.d file (containers/common format 1.0.0) that runs
// ww hook STAGE from wwPath for containers with ww's fd annotations, in
// the layout of deploy/hooks.d. marked adds the comment key by which ww
// install knows its own files; deploy/hooks.d has none.
func hookJSON(stage, wwPath string, marked bool) []byte {
	quote := func(s string) string {
		b, _ := json.Marshal(s) // a string always marshals
		return string(b)
	}
	var b strings.Builder
	b.WriteString("{\n")
	if marked {
		fmt.Fprintf(&b, "  \"comment\": %s,\n", quote(hookMarker))
	}
	fmt.Fprintf(&b, `  "version": "1.0.0",
  "hook": {
    "path": %s,
    "args": ["ww", "hook", %s],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    "timeout": 10
  },
  "when": {
    "annotations": {
      "^([^/]+\\.)?fd\\.ww\\.dev/.+$": ".*"
    }
  },
  "stages": [%s]
}
`, quote(wwPath), quote(stage), quote(stage))
	return []byte(b.String())
}

// hookIsOurs fails if path exists and is not a hooks.d file that ww
// install wrote.
func hookIsOurs(o HookOptions, path string) error {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("--dir %q: %w", o.Dir, err)
	}
	var doc struct {
		Comment string `json:"comment"`
	}
	if json.Unmarshal(data, &doc) != nil || doc.Comment != hookMarker {
		return fmt.Errorf("--dir %q: %s exists and was not written by ww install; remove it or name another --dir", o.Dir, filepath.Base(path))
	}
	return nil
}

// Hooks plans writing ww's OCI hooks to a hooks.d folder, or removing
// them. The hooks fail a container that asks for fds by annotation but
// was not created through ww-runtime, so a pod that misses its
// RuntimeClass fails closed instead of starting without its fds.
func Hooks(o HookOptions) (*Plan, error) {
	p := &Plan{}
	for _, stage := range hookStages {
		path := filepath.Join(o.Dir, hookFileName(stage))
		if err := hookIsOurs(o, path); err != nil {
			return nil, err
		}
		c := Change{Path: path, Why: "ww's " + stage + " hook"}
		if !o.Uninstall {
			c.Data = hookJSON(stage, o.WWPath, true)
		}
		if err := p.Add(c); err != nil {
			return nil, fmt.Errorf("--dir %q: %w", o.Dir, err)
		}
	}
	if o.Uninstall {
		return p, nil
	}
	if fi, err := os.Stat(o.WWPath); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("--ww-path %q: not an executable file here: the hooks fail every container with ww's annotations until it is", o.WWPath))
	}
	p.Notes = append(p.Notes,
		"Podman reads "+HooksDir+" and /usr/share/containers/oci/hooks.d (or the hooks_dir of containers.conf, or --hooks-dir) on every command",
		"CRI-O reads the folders in hooks_dir of crio.conf (default: /usr/share/containers/oci/hooks.d only) and sees changes without a restart: "+
			"list "+o.Dir+" there, or install with --dir /usr/share/containers/oci/hooks.d",
		"containerd reads no hooks folder: add the createRuntime hook through base_runtime_spec (README, Kubernetes)")
	return p, nil
}
