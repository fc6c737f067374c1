package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/ww-dev/ww/cmd/internal/install"
)

const installUsage = `Usage:
  ww install containerd|crio [--config PATH] [--drop-in PATH] [--handler NAME]
             [--runtime-path PATH] [--dry-run] [--uninstall]
  ww install hooks [--dir DIR] [--ww-path PATH] [--dry-run] [--uninstall]

install adds a runtime handler NAME (default ww) that runs ww-runtime to the
node's container runtime configuration, keeping everything else in it, and
--uninstall takes it out again. A second install changes nothing. It never
restarts the runtime: it prints the command that does.

containerd (config version 2: 1.6 and 1.7; 3 and 4: 2.x): the handler goes
in a drop-in file that the main file imports; where the main file must be
edited to import it, only its imports line changes, and a copy of the file
is kept beside it (PATH` + ".ww-backup" + `) and put back on uninstall. The
handler copies the runc handler's options and passes only ww's annotations.

crio: the handler goes in a drop-in in /etc/crio/crio.conf.d. CRI-O passes
every pod annotation to the runtime: the node policy is the only gate.

hooks: ww's OCI hooks (the files of deploy/hooks.d, running the ww at
--ww-path) go in a hooks.d folder, default ` + install.HooksDir + `. They fail a
container that asks for fds by annotation but was not created through
ww-runtime, so a pod that misses its RuntimeClass fails closed. Podman reads
that folder and /usr/share/containers/oci/hooks.d; CRI-O reads only the
folders in hooks_dir of crio.conf (default /usr/share/containers/oci/hooks.d);
containerd reads none (README: base_runtime_spec). Both engines see a change
without a restart. --uninstall removes only the files ww install wrote.

Files, unless --config and --drop-in say otherwise:
  containerd  ` + install.ContainerdConfig + `, ` + install.ContainerdDropIn + `
  crio        ` + install.CRIOConfig + `, ` + install.CRIODropIn + `
`

// installCommand is ww install.
func installCommand(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, installUsage)
		return nil
	}
	var o install.Options
	var dryRun bool
	runtimeName := args[0]
	fs := flag.NewFlagSet("install", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.Config, "config", "", "the runtime's main configuration `PATH`")
	fs.StringVar(&o.DropIn, "drop-in", "", "the drop-in file `PATH` that holds the handler")
	fs.StringVar(&o.Handler, "handler", "ww", "the handler's `NAME` (a RuntimeClass's handler)")
	fs.StringVar(&o.RuntimePath, "runtime-path", "/usr/local/bin/ww-runtime", "the ww-runtime link `PATH` the handler runs")
	fs.BoolVar(&dryRun, "dry-run", false, "print what would change, change nothing")
	fs.BoolVar(&o.Uninstall, "uninstall", false, "take the handler out again")
	switch runtimeName {
	case "containerd":
		o.Config, o.DropIn = install.ContainerdConfig, install.ContainerdDropIn
	case "crio", "cri-o":
		o.Config, o.DropIn = install.CRIOConfig, install.CRIODropIn
	case "hooks":
		return installHooks(args[1:], stdout)
	case "help", "-h", "-help", "--help":
		installHelp(stdout, "Flags:", fs)
		return nil
	default:
		return usageErrf("install %q: want containerd, crio or hooks", runtimeName)
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			installHelp(stdout, "Flags:", fs)
			return nil
		}
		return flagError(err)
	}
	if fs.NArg() > 0 {
		return usageErrf("install %s: unexpected argument %q", runtimeName, fs.Arg(0))
	}
	if err := checkInstallOptions(&o); err != nil {
		return err
	}
	plan := install.Containerd
	if runtimeName != "containerd" {
		plan = install.CRIO
	}
	p, err := plan(o)
	return applyPlan(p, err, dryRun, stdout)
}

// installHelp prints the usage, then fs's flags under title.
func installHelp(stdout io.Writer, title string, fs *flag.FlagSet) {
	fmt.Fprint(stdout, installUsage+"\n"+title+"\n")
	fs.SetOutput(stdout)
	fs.PrintDefaults()
}

// applyPlan makes p's changes (none with dryRun) and reports them; err is
// the planning's.
func applyPlan(p *install.Plan, err error, dryRun bool, stdout io.Writer) error {
	if err != nil {
		return err
	}
	if !dryRun {
		if err := p.Apply(); err != nil {
			return err
		}
	}
	p.Report(stdout, dryRun)
	return nil
}

// isHandlerName says whether s is what Kubernetes allows as a
// RuntimeClass's handler: a DNS label.
func isHandlerName(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range []byte(s) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

func checkInstallOptions(o *install.Options) error {
	if !isHandlerName(o.Handler) {
		return usageErrf("--handler %q: not a RuntimeClass handler name (lower-case letters, digits and '-', at most 63)", o.Handler)
	}
	if !filepath.IsAbs(o.RuntimePath) || filepath.Clean(o.RuntimePath) != o.RuntimePath {
		return usageErrf("--runtime-path %q: not an absolute, clean path", o.RuntimePath)
	}
	for _, f := range []struct {
		name string
		path *string
	}{{"--config", &o.Config}, {"--drop-in", &o.DropIn}} {
		if *f.path == "" {
			return usageErrf("%s \"\": a path is needed", f.name)
		}
		abs, err := filepath.Abs(*f.path)
		if err != nil {
			return usageErrf("%s %q: %v", f.name, *f.path, err)
		}
		*f.path = abs
	}
	if o.Config == o.DropIn {
		return usageErrf("--drop-in %q: the main configuration file itself", o.DropIn)
	}
	return nil
}

// installHooks is ww install hooks.
func installHooks(args []string, stdout io.Writer) error {
	var o install.HookOptions
	var dryRun bool
	fs := flag.NewFlagSet("install hooks", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.Dir, "dir", install.HooksDir, "the hooks.d folder `DIR`")
	fs.StringVar(&o.WWPath, "ww-path", install.WWPath, "the ww binary `PATH` the hooks run")
	fs.BoolVar(&dryRun, "dry-run", false, "print what would change, change nothing")
	fs.BoolVar(&o.Uninstall, "uninstall", false, "remove the hooks ww install wrote")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			installHelp(stdout, "Flags of hooks:", fs)
			return nil
		}
		return flagError(err)
	}
	if fs.NArg() > 0 {
		return usageErrf("install hooks: unexpected argument %q", fs.Arg(0))
	}
	if !filepath.IsAbs(o.WWPath) || filepath.Clean(o.WWPath) != o.WWPath {
		return usageErrf("--ww-path %q: not an absolute, clean path", o.WWPath)
	}
	if o.Dir == "" {
		return usageErrf("--dir \"\": a folder is needed")
	}
	abs, err := filepath.Abs(o.Dir)
	if err != nil {
		return usageErrf("--dir %q: %v", o.Dir, err)
	}
	o.Dir = abs
	p, err := install.Hooks(o)
	return applyPlan(p, err, dryRun, stdout)
}
