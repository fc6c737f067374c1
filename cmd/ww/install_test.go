package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ww-dev/ww/cmd/internal/install"
	"github.com/ww-dev/ww/spec"
)

func TestInstallFlagErrors(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(config, []byte("version = 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown runtime, named", []string{"docker"}, `install "docker": want containerd, crio or hooks`},
		{"bad handler name, named", []string{"containerd", "--handler", "WW"}, `--handler "WW": not a RuntimeClass handler name (lower-case letters, digits and '-', at most 63)`},
		{"handler ending in a dash, refused", []string{"crio", "--handler", "ww-"}, `--handler "ww-": not a RuntimeClass handler name (lower-case letters, digits and '-', at most 63)`},
		{"relative runtime path, refused", []string{"containerd", "--runtime-path", "bin/ww-runtime"}, `--runtime-path "bin/ww-runtime": not an absolute, clean path`},
		{"unclean runtime path, refused", []string{"containerd", "--runtime-path", "/usr//bin/ww-runtime"}, `--runtime-path "/usr//bin/ww-runtime": not an absolute, clean path`},
		{"empty config, refused", []string{"containerd", "--config", ""}, `--config "": a path is needed`},
		{"drop-in the config itself, refused", []string{"containerd", "--config", config, "--drop-in", config}, `--drop-in "` + config + `": the main configuration file itself`},
		{"an argument too many, named", []string{"containerd", "extra"}, `install containerd: unexpected argument "extra"`},
		{"unknown flag, named", []string{"containerd", "--restart"}, `unknown flag "--restart"`},
		{"hooks: relative ww path, refused", []string{"hooks", "--ww-path", "ww"}, `--ww-path "ww": not an absolute, clean path`},
		{"hooks: empty folder, refused", []string{"hooks", "--dir", ""}, `--dir "": a folder is needed`},
		{"hooks: a runtime flag, named", []string{"hooks", "--handler", "ww"}, `unknown flag "--handler"`},
		{"hooks: an argument too many, named", []string{"hooks", "x"}, `install hooks: unexpected argument "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout bytes.Buffer
			err := run(context.Background(), append([]string{"ww", "install"}, tt.args...), &stdout, &stdout)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error %v, want %s", err, tt.want)
			}
			if exitCode(err, &bytes.Buffer{}) != exitUsage {
				t.Errorf("exit status is not %d", exitUsage)
			}
			if stdout.Len() != 0 {
				t.Errorf("printed %q", stdout.String())
			}
		})
	}
}

func TestInstallDryRunThenInstall(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "config.toml")
	before := "# the node's\nversion = 3\n"
	if err := os.WriteFile(config, []byte(before), 0o600); err != nil {
		t.Fatal(err)
	}
	dropIn := filepath.Join(dir, "conf.d", "ww.toml")
	args := []string{"install", "containerd", "--config", config, "--drop-in", dropIn, "--runtime-path", "/opt/ww/ww-runtime"}
	out, err := exec.Command(wwBin, append(args, "--dry-run")...).CombinedOutput()
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	if data, _ := os.ReadFile(config); string(data) != before {
		t.Errorf("the dry run changed the config:\n%s", data)
	}
	if _, err := os.Stat(dropIn); err == nil {
		t.Errorf("the dry run wrote the drop-in")
	}
	if !strings.Contains(string(out), "would write "+dropIn) || !strings.Contains(string(out), "BinaryName = '/opt/ww/ww-runtime'") {
		t.Errorf("dry run output:\n%s", out)
	}
	if out, err = exec.Command(wwBin, args...).CombinedOutput(); err != nil {
		t.Fatalf("install: %v\n%s", err, out)
	}
	want := "wrote " + dropIn + ": the ww runtime handler\n"
	if !strings.HasPrefix(string(out), want) || !strings.Contains(string(out), ": systemctl restart containerd\n") ||
		!strings.HasSuffix(string(out), "a RuntimeClass whose handler is ww (deploy/runtimeclass.yaml)\n") {
		t.Errorf("install said\n%s", out)
	}
	for _, f := range []string{config, dropIn, config + ".ww-backup"} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v (%v), want the config's 0600", f, fi.Mode(), err)
		}
	}
	if out, err = exec.Command(wwBin, args...).CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "nothing to change") {
		t.Errorf("second install: %v\n%s", err, out)
	}
	if out, err = exec.Command(wwBin, append(args, "--uninstall")...).CombinedOutput(); err != nil {
		t.Fatalf("uninstall: %v\n%s", err, out)
	}
	if data, _ := os.ReadFile(config); string(data) != before {
		t.Errorf("uninstall left\n%s", data)
	}
}

// TestInstalledAnnotationsPassEveryKeyWWReads checks that containerd,
// which passes only the annotations its handler lists, passes every form
// of key that ww runtime reads, and no other.
func TestInstalledAnnotationsPassEveryKeyWWReads(t *testing.T) {
	passes := func(key string) bool {
		for _, p := range install.AnnotationPatterns() {
			if ok, _ := path.Match(p.(string), key); ok {
				return true
			}
		}
		return false
	}
	container := map[string]string{spec.CRIContainerNameAnnotation: "app-1"}
	for _, key := range []string{
		spec.FDAnnotationPrefix + "db", "app-1." + spec.FDAnnotationPrefix + "db",
		spec.OptionAnnotationPrefix + spec.SystemdOption, "app-1." + spec.OptionAnnotationPrefix + spec.SystemdOption,
	} {
		a := map[string]string{key: "true"}
		if strings.Contains(key, "fd.") {
			a[key] = "file:/dev/null"
		}
		for k, v := range container {
			a[k] = v
		}
		r, err := spec.ParseAnnotations(a)
		if err != nil || (len(r.FDs) == 0 && !r.Options.Systemd) {
			t.Fatalf("ww runtime does not read %s (%v): the test's keys are stale", key, err)
		}
		if !passes(key) {
			t.Errorf("containerd would not pass %s to ww runtime", key)
		}
	}
	for _, key := range []string{"io.kubernetes.cri.container-name", "fd.ww.dev.example.com/x", "example.com/fd.ww.dev/x"} {
		if passes(key) {
			t.Errorf("containerd would pass %s, not ww's", key)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err := exec.Command(wwBin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("ww %s: %v\n%s", args[0], err, out)
		}
		f := strings.Fields(string(out))
		if len(f) < 6 || f[0] != "ww" || f[2] != "commit" || !strings.HasPrefix(f[len(f)-2], "go1.") ||
			f[len(f)-1] != runtime.GOOS+"/"+runtime.GOARCH {
			t.Errorf("ww %s printed %q, want ww VERSION commit HASH GOVERSION OS/ARCH", args[0], out)
		}
	}
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"ww", "version", "x"}, &stdout, &stdout); err == nil ||
		err.Error() != `version: unexpected argument "x"` {
		t.Errorf("ww version x: %v", err)
	}
}
