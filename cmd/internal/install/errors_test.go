package install

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestContainerdRefuses(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	v1 := write("v1.toml", "root = \"/var/lib/containerd\"\n")
	v5 := write("v5.toml", "version = 5\n")
	vs := write("vs.toml", "version = \"2\"\n")
	bad := write("bad.toml", "version = 2\n[plugins\n")
	good := write("good.toml", "version = 2\n")
	theirs := write("theirs.toml", "version = 2\n# a file of the operator's\n")
	missing := filepath.Join(dir, "missing.toml")
	tests := []struct {
		name           string
		config, dropIn string
		want           string
	}{
		{"no version key, version 1 refused", v1, "", `--config "` + v1 + `": no version key, so a version 1 config, which ww install does not edit: run containerd config migrate (1.7 and 2.x), or write version = 2 (1.6) at its top`},
		{"version 5, refused", v5, "", `--config "` + v5 + `": version 5 is not one ww install knows (2: containerd 1.6 and 1.7; 3 and 4: 2.x)`},
		{"version a string, refused", vs, "", `--config "` + vs + `": version "2" is not a number`},
		{"a config that is not TOML, its line", bad, "", `--config "` + bad + `": line 2, column 9: toml: expected ']' to close table name`},
		{"a missing config, named", missing, "", `--config "` + missing + `": no such file or directory (containerd runs on its built-in configuration: write it out first with containerd config default > ` + missing + `)`},
		{"a drop-in ww did not write, left alone", good, theirs, `--drop-in "` + theirs + `": the file exists and was not written by ww install; name another file`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dropIn := tt.dropIn
			if dropIn == "" {
				dropIn = filepath.Join(dir, "conf.d", "ww.toml")
			}
			before := snapshot(t, dir)
			for _, uninstall := range []bool{false, true} {
				_, err := Containerd(Options{Config: tt.config, DropIn: dropIn, Handler: "ww", RuntimePath: "/r", Uninstall: uninstall})
				if err == nil || err.Error() != tt.want {
					t.Errorf("uninstall %v: error\n%v\nwant\n%s", uninstall, err, tt.want)
				}
			}
			if after := snapshot(t, dir); !maps.Equal(after, before) {
				t.Errorf("files changed: %v", keys(after))
			}
		})
	}
}

func TestDryRunChangesNothingAndPrintsTheFiles(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(config, []byte("version = 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := Options{Config: config, DropIn: filepath.Join(dir, "conf.d", "ww.toml"), Handler: "ww", RuntimePath: "/r"}
	before := snapshot(t, dir)
	p, err := Containerd(o)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	p.Report(&out, true)
	if after := snapshot(t, dir); !maps.Equal(after, before) {
		t.Errorf("planning changed files: %v", keys(after))
	}
	for _, want := range []string{
		"would write " + o.DropIn + ": the ww runtime handler\n--- " + o.DropIn + "\n" + marker,
		"BinaryName = '/r'",
		"would write " + config + ".ww-backup",
		"would write " + config + ": imports " + o.DropIn + "\n--- " + config + "\nversion = 3\nimports = [\"" + o.DropIn + "\"]\n",
		"systemctl restart containerd",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestSecondInstallSaysNothingChanged(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(config, []byte("version = 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := Options{Config: config, DropIn: filepath.Join(dir, "ww.toml"), Handler: "ww", RuntimePath: "/r"}
	for i, want := range []string{"wrote ", "nothing to change: the configuration already is as asked\n"} {
		p, err := Containerd(o)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Apply(); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		p.Report(&out, false)
		if !strings.HasPrefix(out.String(), want) || (i == 1 && out.String() != want) {
			t.Errorf("run %d said %q, want %q", i+1, out.String(), want)
		}
	}
}

func TestContainerdWarnsOfADisabledCRI(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "config.toml")
	// As Docker's containerd.io package writes it.
	if err := os.WriteFile(config, []byte("version = 2\ndisabled_plugins = [\"cri\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Containerd(Options{Config: config, DropIn: filepath.Join(dir, "ww.toml"), Handler: "ww", RuntimePath: "/r"})
	if err != nil {
		t.Fatal(err)
	}
	want := config + ` disables the CRI plugin (disabled_plugins = ["cri"]): the kubelet cannot use this containerd until it is taken out of the list`
	if !strings.Contains(strings.Join(p.Warnings, "\n"), want) {
		t.Errorf("warnings %q lack %q", p.Warnings, want)
	}
	// Said again when there is nothing to change.
	if err := p.Apply(); err != nil {
		t.Fatal(err)
	}
	if p, err = Containerd(Options{Config: config, DropIn: filepath.Join(dir, "ww.toml"), Handler: "ww", RuntimePath: "/r"}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	p.Report(&out, false)
	if !strings.HasPrefix(out.String(), "nothing to change") || !strings.Contains(out.String(), "warning: "+want+"\n") {
		t.Errorf("a second run says\n%s", out.String())
	}
}
