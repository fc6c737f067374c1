package spec

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// decodeJSON decodes data as generic JSON with numbers kept as written, so
// that two documents compare equal only if every value is the same.
func decodeJSON(t *testing.T, data []byte) map[string]any {
	t.Helper()
	v, err := decodeObject(data)
	if err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	return v
}

func readJSONFile(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return decodeJSON(t, data)
}

// bundleWith makes a bundle folder whose config.json is a copy of the
// testdata file name.
func bundleWith(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ConfigName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// obj walks a generic JSON document down keys to an object.
func obj(t *testing.T, doc map[string]any, keys ...string) map[string]any {
	t.Helper()
	for _, k := range keys {
		next, ok := doc[k].(map[string]any)
		if !ok {
			t.Fatalf("no object at %q", k)
		}
		doc = next
	}
	return doc
}

func strings2any(ss ...string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func TestSaveWithoutEditsKeepsContent(t *testing.T) {
	for _, name := range []string{"runc-spec.json", "unknown-fields.json"} {
		t.Run(name+", saved unedited: same JSON", func(t *testing.T) {
			dir := bundleWith(t, name)
			path := filepath.Join(dir, ConfigName)
			before := readJSONFile(t, path)
			c, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Save(); err != nil {
				t.Fatal(err)
			}
			if after := readJSONFile(t, path); !reflect.DeepEqual(after, before) {
				t.Errorf("after save:\n%v\nwant:\n%v", after, before)
			}
		})
	}
}

func TestUnknownFieldsSurviveEdits(t *testing.T) {
	dir := bundleWith(t, "unknown-fields.json")
	path := filepath.Join(dir, ConfigName)
	want := readJSONFile(t, path)
	process := obj(t, want, "process")
	process["args"] = strings2any("/bin/server", "--port", "9090")
	process["env"] = strings2any(
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/home/app",
		"WW_FD_DB=3", "WW_FD_CACHE=4",
		"LISTEN_FDS=2", "LISTEN_FDNAMES=db:cache", "LISTEN_PID=1",
	)
	obj(t, want, "root")["path"] = filepath.Join(dir, "rootfs")

	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = Apply(c.Spec,
		FDEnv([]string{"WW_FD_DB=3", "WW_FD_CACHE=4"}),
		SystemdEnv([]string{"LISTEN_FDS=2", "LISTEN_FDNAMES=db:cache", "LISTEN_PID=1"}),
		Args([]string{"/bin/server", "--port", "9090"}),
		AbsRoot(dir),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	if got := readJSONFile(t, path); !reflect.DeepEqual(got, want) {
		gotJSON, _ := json.MarshalIndent(got, "", "  ")
		t.Errorf("after edits:\n%s", gotJSON)
	}
}

func TestRuncSpecRoundTrip(t *testing.T) {
	runc, err := exec.LookPath("runc")
	if err != nil {
		runc = "/usr/sbin/runc"
		if _, err := os.Stat(runc); err != nil {
			t.Skip("runc is not installed")
		}
	}
	dir := t.TempDir()
	if out, err := exec.Command(runc, "spec", "--bundle", dir).CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v: %s", err, out)
	}
	path := filepath.Join(dir, ConfigName)
	want := readJSONFile(t, path)
	process := obj(t, want, "process")
	process["args"] = strings2any("/app", "-v")
	process["env"] = append(process["env"].([]any), "WW_FD_LOG=3")

	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := Apply(c.Spec, FDEnv([]string{"WW_FD_LOG=3"}), Args([]string{"/app", "-v"})); err != nil {
		t.Fatal(err)
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	if got := readJSONFile(t, path); !reflect.DeepEqual(got, want) {
		t.Errorf("after edits:\n%v\nwant:\n%v", got, want)
	}
	// runc itself must still accept what was written.
	again, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Spec.Process.Args; !reflect.DeepEqual(got, []string{"/app", "-v"}) {
		t.Errorf("args after reload = %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		wantErr string
	}{
		{"not JSON: syntax error", `{"ociVersion":`, "unexpected EOF"},
		{"JSON array: not an object", `[1]`, "config is not a JSON object"},
		{"object then more: data after it", `{"ociVersion":"1"} {}`, "config has data after its JSON object"},
		{"process a string: type error", `{"process":"sh"}`, "process is not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%s) error = %v, want %q", tt.data, err, tt.wantErr)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, ConfigName), []byte("[]"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		bundle  string
		wantErr string
	}{
		{
			name:    "bundle without config.json: open error",
			bundle:  dir,
			wantErr: "load config: open " + filepath.Join(dir, ConfigName) + ": no such file or directory",
		},
		{
			name:    "config.json an array: error naming the file",
			bundle:  bad,
			wantErr: `load config "` + filepath.Join(bad, ConfigName) + `": config is not a JSON object`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.bundle)
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Load error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestMarshalNilSpec(t *testing.T) {
	c, err := Parse([]byte(`{"ociVersion":"1.0.0"}`))
	if err != nil {
		t.Fatal(err)
	}
	c.Spec = nil
	if _, err := c.Marshal(); err == nil || err.Error() != "config has no spec" {
		t.Errorf("Marshal error = %v, want %q", err, "config has no spec")
	}
}

func TestSaveHandMadeConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), ConfigName)
	c := &Config{Spec: &specs.Spec{Version: specs.Version, Hostname: "made"}}
	if err := c.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"ociVersion": specs.Version, "hostname": "made"}
	if got := readJSONFile(t, path); !reflect.DeepEqual(got, want) {
		t.Errorf("saved %v, want %v", got, want)
	}
}
