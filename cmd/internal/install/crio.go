package install

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/pelletier/go-toml/v2"
)

// Defaults for CRI-O.
const (
	CRIOConfig = "/etc/crio/crio.conf"
	CRIODropIn = "/etc/crio/crio.conf.d/90-ww.conf"
)

// What CRI-O's packages give the runc handler, used where the node's
// configuration does not say.
const (
	crioRuncRoot   = "/run/runc"
	crioMonitor    = "/usr/libexec/crio/conmon"
	crioMonitorEnv = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// crioHandler is a [crio.runtime.runtimes.NAME] table: the keys ww
// writes, named as crio.conf(5) and CRI-O's config template name them.
type crioHandler struct {
	RuntimePath   string   `toml:"runtime_path"`
	RuntimeType   string   `toml:"runtime_type"`
	RuntimeRoot   string   `toml:"runtime_root"`
	MonitorPath   string   `toml:"monitor_path"`
	MonitorCgroup string   `toml:"monitor_cgroup,omitempty"`
	MonitorEnv    []string `toml:"monitor_env,omitempty"`
}

// CRIO plans adding the handler to CRI-O as a drop-in, or taking it out.
// Its monitor settings are the runc handler's where the node's files
// name one, else those of CRI-O's packages.
func CRIO(o Options) (*Plan, error) {
	if err := checkOurs("--drop-in", o.DropIn); err != nil {
		return nil, err
	}
	p := &Plan{Restart: "systemctl restart crio"}
	if o.Uninstall {
		return p, p.Add(Change{Path: o.DropIn, Why: "the " + o.Handler + " runtime handler"})
	}
	p.Handler = o.Handler
	h := crioHandler{
		RuntimePath: o.RuntimePath, RuntimeType: "oci", RuntimeRoot: crioRuncRoot,
		MonitorPath: crioMonitor, MonitorEnv: []string{crioMonitorEnv},
	}
	base, err := crioRuncHandler(o)
	if err != nil {
		return nil, err
	}
	if base.MonitorPath != "" {
		h.MonitorPath = base.MonitorPath
	}
	if base.RuntimeRoot != "" {
		h.RuntimeRoot = base.RuntimeRoot
	}
	h.MonitorCgroup = base.MonitorCgroup
	if base.MonitorEnv != nil {
		h.MonitorEnv = base.MonitorEnv
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s for CRI-O: the %s runtime handler.\n", marker, o.Handler)
	fmt.Fprintf(&b, "# ww install crio --uninstall takes it out again.\n\n")
	// The handler's name is a DNS label, a bare TOML key; its keys hold
	// no tables, so they follow the header as they are.
	fmt.Fprintf(&b, "[crio.runtime.runtimes.%s]\n", o.Handler)
	if err := toml.NewEncoder(&b).Encode(h); err != nil {
		return nil, err
	}
	if err := p.Add(Change{Path: o.DropIn, Data: b.Bytes(), Why: "the " + o.Handler + " runtime handler"}); err != nil {
		return nil, err
	}
	p.Notes = append(p.Notes,
		"CRI-O passes every pod annotation to the runtime, so the node policy (/etc/ww/policy.yaml) is the only gate on what pods get",
		"ww-runtime runs the lower runtime named in /etc/ww/lower-runtime, else runc from PATH: "+
			"where CRI-O's packages keep runc elsewhere (/usr/libexec/crio/runc), name it there",
		"so that a pod that misses the RuntimeClass fails instead of starting without its fds: ww install hooks --dir /usr/share/containers/oci/hooks.d")
	return p, nil
}

// crioRuncHandler is the runc handler as CRI-O's main file and its
// drop-ins (but ww's) leave it, later files winning key by key.
func crioRuncHandler(o Options) (crioHandler, error) {
	files := []string{o.Config}
	dir := filepath.Join(filepath.Dir(o.Config), filepath.Base(o.Config)+".d")
	if more, err := filepath.Glob(filepath.Join(dir, "*")); err == nil {
		slices.Sort(more)
		files = append(files, more...)
	}
	var h crioHandler
	for _, f := range files {
		if f == o.DropIn {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var doc struct {
			CRIO struct {
				Runtime struct {
					Runtimes map[string]map[string]any `toml:"runtimes"`
				} `toml:"runtime"`
			} `toml:"crio"`
		}
		if err := toml.Unmarshal(data, &doc); err != nil {
			return h, fmt.Errorf("CRI-O configuration %q: %s", f, oneLine(err))
		}
		runc := doc.CRIO.Runtime.Runtimes["runc"]
		if s, ok := runc["monitor_path"].(string); ok {
			h.MonitorPath = s
		}
		if s, ok := runc["runtime_root"].(string); ok {
			h.RuntimeRoot = s
		}
		if s, ok := runc["monitor_cgroup"].(string); ok {
			h.MonitorCgroup = s
		}
		if list, ok := runc["monitor_env"].([]any); ok {
			h.MonitorEnv = stringList(list)
		}
	}
	return h, nil
}
