package install

import (
	"bytes"
	"fmt"

	"github.com/pelletier/go-toml/v2"
	"github.com/ww-dev/ww/spec"
)

// criPlugin is the plugin that holds runtime handlers in a config of
// this version.
func criPlugin(version int64) string {
	if version == 2 {
		return criPluginV2
	}
	return criPluginV3
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
	cri := table(plugins, false, criPlugin(version))
	runtimes := table(cri, false, "containerd", "runtimes")
	if runtimes == nil {
		return nil
	}
	for _, name := range []string{defaultRuntime(cri), "runc"} {
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
	runtimes := table(cri, true, "containerd", "runtimes")
	runtimes[o.Handler] = handler
	if main.version == 2 {
		keepDefaultRunc(cri, runtimes)
	}
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

// keepDefaultRunc puts containerd 1.x's built-in runc handler in a CRI
// section that does not name it: 1.x decodes the drop-in's runtimes over
// its defaults as a whole table, so a config that relied on the built-in
// one would lose it, and with it its default runtime.
func keepDefaultRunc(cri, runtimes map[string]any) {
	if _, ok := runtimes["runc"]; !ok && defaultRuntime(cri) == "runc" {
		runtimes["runc"] = map[string]any{"runtime_type": runcShim, "options": runcOptionsV2()}
	}
}

// defaultRuntime is a CRI section's default_runtime_name, runc where it
// names none.
func defaultRuntime(cri map[string]any) string {
	if name, ok := table(cri, false, "containerd")["default_runtime_name"].(string); ok && name != "" {
		return name
	}
	return "runc"
}

// runcOptionsV2 are the options of containerd 1.6's and 1.7's built-in
// runc handler, zero values all, as containerd config default writes them.
func runcOptionsV2() map[string]any {
	return map[string]any{
		"BinaryName": "", "CriuImagePath": "", "CriuPath": "", "CriuWorkPath": "",
		"IoGid": int64(0), "IoUid": int64(0), "NoNewKeyring": false, "NoPivotRoot": false,
		"Root": "", "ShimCgroup": "", "SystemdCgroup": false,
	}
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
