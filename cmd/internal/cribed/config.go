package cribed

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// WWAnnotations are the keys ww's handler lets through, as `ww install`
// writes them.
var WWAnnotations = []string{"fd.ww.dev/*", "*.fd.ww.dev/*", "options.ww.dev/*", "*.options.ww.dev/*"}

// Handler is a runtime handler of the CRI plugin.
type Handler struct {
	// Name is the RuntimeClass handler name.
	Name string
	// BinaryName is the runtime the shim runs; "" means runc from PATH.
	BinaryName string
	// PodAnnotations and ContainerAnnotations are the keys the handler
	// passes through to the OCI spec.
	PodAnnotations, ContainerAnnotations []string
	// BaseRuntimeSpec, when set, is the OCI spec file the handler's
	// containers start from (containerd's base_runtime_spec).
	BaseRuntimeSpec string
}

// pluginPath returns the TOML table of the CRI runtime settings.
func (f Flavor) pluginPath() string {
	if f.Major == 1 {
		return `plugins."io.containerd.grpc.v1.cri"`
	}
	return `plugins."io.containerd.cri.v1.runtime"`
}

// handlerTOML returns the TOML that adds h to a configuration of f, in
// the shape `ww install` writes, with runc's state in runcRoot.
func (f Flavor) handlerTOML(h Handler, runcRoot string) string {
	table := f.pluginPath() + `.containerd.runtimes.` + strconv.Quote(h.Name)
	var b strings.Builder
	fmt.Fprintf(&b, "\n[%s]\n  runtime_type = \"io.containerd.runc.v2\"\n", table)
	fmt.Fprintf(&b, "  pod_annotations = %s\n  container_annotations = %s\n",
		tomlStrings(h.PodAnnotations), tomlStrings(h.ContainerAnnotations))
	if h.BaseRuntimeSpec != "" {
		fmt.Fprintf(&b, "  base_runtime_spec = %s\n", strconv.Quote(h.BaseRuntimeSpec))
	}
	fmt.Fprintf(&b, "[%s.options]\n  BinaryName = %s\n  Root = %s\n  SystemdCgroup = false\n",
		table, strconv.Quote(h.BinaryName), strconv.Quote(runcRoot))
	return b.String()
}

func tomlStrings(s []string) string {
	if s == nil {
		s = []string{}
	}
	b, _ := json.Marshal(s) // a JSON array of strings is a TOML array
	return string(b)
}

// paths are a daemon's own places.
type paths struct {
	root, state, sock, cniConf, opt string
}

func (p paths) runcRoot() string { return filepath.Join(p.state, "runc") }

// baseConfig returns a configuration of f whose every place is the
// daemon's own, with the runc handler and the handlers given.
func (f Flavor) baseConfig(p paths, sandboxImage string, handlers []Handler) string {
	var b strings.Builder
	version := 2
	if f.Major >= 2 {
		version = 3
	}
	fmt.Fprintf(&b, "version = %d\nroot = %q\nstate = %q\n", version, p.root, p.state)
	fmt.Fprintf(&b, "[grpc]\n  address = %q\n[ttrpc]\n  address = %q\n", p.sock, p.sock+".ttrpc")
	fmt.Fprintf(&b, "[plugins.\"io.containerd.internal.v1.opt\"]\n  path = %q\n", p.opt)
	rt := f.pluginPath()
	// restrict_oom_score_adj: the daemon runs with a score that the
	// kubelet's containers may not go below. netns under the state dir:
	// nothing in the node's /run/netns. No AppArmor profile is loaded
	// into the node's kernel.
	fmt.Fprintf(&b, "[%s]\n  restrict_oom_score_adj = true\n  netns_mounts_under_state_dir = true\n  disable_apparmor = true\n", rt)
	if f.Major == 1 {
		fmt.Fprintf(&b, "  sandbox_image = %q\n", sandboxImage)
		fmt.Fprintf(&b, "[%s.cni]\n  bin_dir = \"/usr/lib/cni\"\n  conf_dir = %q\n", rt, p.cniConf)
	} else {
		fmt.Fprintf(&b, "[%s.cni]\n  bin_dirs = [\"/usr/lib/cni\"]\n  conf_dir = %q\n", rt, p.cniConf)
		fmt.Fprintf(&b, "[plugins.\"io.containerd.cri.v1.images\".pinned_images]\n  sandbox = %q\n", sandboxImage)
		// NRI's socket is one per node.
		b.WriteString("[plugins.\"io.containerd.nri.v1.nri\"]\n  disable = true\n")
	}
	fmt.Fprintf(&b, "[%s.containerd]\n  default_runtime_name = \"runc\"\n", rt)
	// runc keeps its containers' state beneath the daemon's.
	b.WriteString(f.handlerTOML(Handler{Name: "runc"}, p.runcRoot()))
	for _, h := range handlers {
		b.WriteString(f.handlerTOML(h, p.runcRoot()))
	}
	return b.String()
}

// cniConfig is a bridge network in the loopback block, one per slot,
// with its IP addresses recorded in the daemon's own folder.
func cniConfig(slot int, ipamDir string) string {
	conf := map[string]any{
		"cniVersion": "0.4.0",
		"name":       BridgeName(slot),
		"plugins": []any{
			map[string]any{
				"type": "bridge", "bridge": BridgeName(slot),
				"isGateway": false, "ipMasq": false,
				"ipam": map[string]any{
					"type":    "host-local",
					"ranges":  [][]map[string]string{{{"subnet": fmt.Sprintf("127.231.%d.0/24", slot)}}},
					"dataDir": ipamDir,
				},
			},
			map[string]any{"type": "loopback"},
		},
	}
	b, _ := json.MarshalIndent(conf, "", "  ")
	return string(b)
}

// BridgeName is the CNI bridge of a slot.
func BridgeName(slot int) string { return "wwcri" + strconv.Itoa(slot) }
