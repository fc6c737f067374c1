package install

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestContainerdUninstallKeepsImportedDropIn: a main file that imports
// the drop-in by another spelling than ww install writes (a relative
// path) keeps the drop-in on uninstall, with an error naming the import:
// containerd refuses to start when a file it imports by name is missing.
func TestContainerdUninstallKeepsImportedDropIn(t *testing.T) {
	dir := t.TempDir()
	config, dropIn := filepath.Join(dir, "config.toml"), filepath.Join(dir, "conf.d", "ww.toml")
	main := "version = 3\nimports = [\"conf.d/ww.toml\"]\n"
	if err := os.WriteFile(config, []byte(main), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dropIn), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dropIn, []byte(marker+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Containerd(Options{Config: config, DropIn: dropIn, Handler: "ww", RuntimePath: "/r", Uninstall: true})
	if err == nil {
		t.Fatalf("uninstall planned %+v, want an error", p.Changes)
	}
	want := `--config "` + config + `": imports the drop-in as "conf.d/ww.toml", which ww install did not write: take that import out first; the drop-in stays`
	if err.Error() != want {
		t.Errorf("error %q\nwant  %q", err, want)
	}
	if strings.Count(err.Error(), "\n") != 0 {
		t.Error("error of more than one line")
	}
}

// TestContainerdInstallThroughLink: a main file that is a symbolic link
// (as configuration managers lay it out) stays one: the import goes into
// the file it points to.
func TestContainerdInstallThroughLink(t *testing.T) {
	dir := t.TempDir()
	real, config, dropIn := filepath.Join(dir, "managed.toml"), filepath.Join(dir, "config.toml"), filepath.Join(dir, "conf.d", "ww.toml")
	if err := os.WriteFile(real, []byte("version = 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("managed.toml", config); err != nil {
		t.Fatal(err)
	}
	p, err := Containerd(Options{Config: config, DropIn: dropIn, Handler: "ww", RuntimePath: "/r"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(config); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("%s after install: %v, %v; want the symbolic link", config, fi.Mode(), err)
	}
	data, err := os.ReadFile(real)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), dropIn) {
		t.Errorf("%s does not import the drop-in:\n%s", real, data)
	}
}
