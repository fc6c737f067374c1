package spec

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestRawApply: the config before, the edits, the config after, byte for
// byte.
func TestRawApply(t *testing.T) {
	fd := FDEnv([]string{"WW_FD_DB=3"})
	tests := []struct {
		name    string
		before  string
		mods    []Modifier
		after   string
		wantErr string
	}{
		{
			name:   "indented env: entries replaced, layout and every other byte kept",
			before: "{\n\t\"process\": {\n\t\t\"env\": [\n\t\t\t\"A=1\",\n\t\t\t\"WW_FD_OLD=9\"\n\t\t],\n\t\t\"x\": 1.50\n\t}\n}\n",
			mods:   []Modifier{fd},
			after:  "{\n\t\"process\": {\n\t\t\"env\": [\n\t\t\t\"A=1\",\n\t\t\t\"WW_FD_DB=3\"\n\t\t],\n\t\t\"x\": 1.50\n\t}\n}\n",
		},
		{
			name:   "two-space indent: kept",
			before: "{\n  \"process\": {\n    \"env\": [\n      \"A=1\"\n    ]\n  }\n}",
			mods:   []Modifier{fd},
			after:  "{\n  \"process\": {\n    \"env\": [\n      \"A=1\",\n      \"WW_FD_DB=3\"\n    ]\n  }\n}",
		},
		{
			name:   "env on one line: one line",
			before: `{"process":{"env": ["A=1", "B=<&>"],"cwd":"/"}}`,
			mods:   []Modifier{fd, SystemdEnv([]string{"LISTEN_FDS=1", "LISTEN_PID=1"})},
			after:  `{"process":{"env": ["A=1","B=<&>","WW_FD_DB=3","LISTEN_FDS=1","LISTEN_PID=1"],"cwd":"/"}}`,
		},
		{
			name:   "empty env: filled on one line",
			before: "{\n\t\"process\": {\n\t\t\"env\": []\n\t}\n}",
			mods:   []Modifier{fd},
			after:  "{\n\t\"process\": {\n\t\t\"env\": [\"WW_FD_DB=3\"]\n\t}\n}",
		},
		{
			name:   "null env: an array",
			before: `{"process":{"env":null}}`,
			mods:   []Modifier{fd},
			after:  `{"process":{"env":["WW_FD_DB=3"]}}`,
		},
		{
			name:   "no env key: made first, with the next key's white space",
			before: "{\"process\": {\n\t\t\"cwd\": \"/\"\n\t}}",
			mods:   []Modifier{fd},
			after:  "{\"process\": {\n\t\t\"env\": [\"WW_FD_DB=3\"],\n\t\t\"cwd\": \"/\"\n\t}}",
		},
		{
			name:   "empty process: env its only key",
			before: `{"process":{}}`,
			mods:   []Modifier{fd},
			after:  `{"process":{"env": ["WW_FD_DB=3"]}}`,
		},
		{
			name:   "keys in other cases: the ones a JSON decoder reads, edited",
			before: `{"Process":{"ENV":["WW_FD_X=4"]}}`,
			mods:   []Modifier{fd},
			after:  `{"Process":{"ENV":["WW_FD_DB=3"]}}`,
		},
		{
			name:   "process key with a long s: found, as encoding/json finds it",
			before: `{"proceſs":{"env":[]}}`,
			mods:   []Modifier{fd},
			after:  `{"proceſs":{"env":["WW_FD_DB=3"]}}`,
		},
		{
			name:   "nothing to remove, nothing to set: env written as it was",
			before: `{"process":{"env":["A=1"]}}`,
			mods:   []Modifier{FDEnv(nil)},
			after:  `{"process":{"env":["A=1"]}}`,
		},
		{
			name:   "no modifier: config unchanged",
			before: `{"x":1}`,
			after:  `{"x":1}`,
		},
		{
			name:    "no process: error, config unchanged",
			before:  `{"root":{"path":"r"}}`,
			mods:    []Modifier{fd},
			after:   `{"root":{"path":"r"}}`,
			wantErr: "set WW_FD_* variables: spec has no process",
		},
		{
			name:    "null process: error, config unchanged",
			before:  `{"process":null}`,
			mods:    []Modifier{fd},
			after:   `{"process":null}`,
			wantErr: "set WW_FD_* variables: spec has no process",
		},
		{
			name:    "bad entry in a later edit: error before any edit",
			before:  `{"process":{"env":["WW_FD_OLD=1"]}}`,
			mods:    []Modifier{fd, Env([]string{"NOEQUALS"})},
			after:   `{"process":{"env":["WW_FD_OLD=1"]}}`,
			wantErr: `env "NOEQUALS": no '=' between name and value`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseRaw([]byte(tt.before))
			if err != nil {
				t.Fatal(err)
			}
			err = c.Apply(tt.mods...)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Errorf("error = %q, want %q", got, tt.wantErr)
			}
			if string(c.Bytes()) != tt.after {
				t.Errorf("config:\n%s\nwant:\n%s", c.Bytes(), tt.after)
			}
		})
	}
}

// TestRawApplyTwice: a second edit finds process.env where the first
// wrote it, and gives what one edit of both gives.
func TestRawApplyTwice(t *testing.T) {
	for _, before := range []string{`{"process":{"cwd":"/"}}`, `{"process":{"env":["A=1"]}}`} {
		c, err := ParseRaw([]byte(before))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Apply(FDEnv([]string{"WW_FD_A=3"})); err != nil {
			t.Fatal(err)
		}
		if err := c.Apply(FDEnv([]string{"WW_FD_B=4"})); err != nil {
			t.Fatal(err)
		}
		once, err := ParseRaw([]byte(before))
		if err != nil {
			t.Fatal(err)
		}
		if err := once.Apply(FDEnv([]string{"WW_FD_B=4"})); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(c.Bytes(), once.Bytes()) || !slices.Equal(c.Env, once.Env) {
			t.Errorf("%s: twice %s (env %q), once %s", before, c.Bytes(), c.Env, once.Bytes())
		}
		// The places an edit keeps track of are the ones a parse finds.
		again, err := ParseRaw(c.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if again.at.envStart != c.at.envStart || again.at.envEnd != c.at.envEnd ||
			again.at.procOpen != c.at.procOpen || again.at.procEmpty != c.at.procEmpty {
			t.Errorf("%s: after the edits %+v, parsed again %+v", before, *c.at, *again.at)
		}
	}
}

// TestRawApplyMatchesTyped: on real configs, the raw edit gives the JSON
// the typed edit gives, and outside process.env the bytes of the file.
func TestRawApplyMatchesTyped(t *testing.T) {
	mods := []Modifier{
		FDEnv([]string{"WW_FD_DB=3", "WW_FD_CACHE=4"}),
		SystemdEnv([]string{"LISTEN_FDS=2", "LISTEN_FDNAMES=db:cache", "LISTEN_PID=1"}),
	}
	for _, name := range []string{"runc-spec.json", "unknown-fields.json"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			typed, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			if err := Apply(typed.Spec, mods...); err != nil {
				t.Fatal(err)
			}
			want, err := typed.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			raw, err := ParseRaw(data)
			if err != nil {
				t.Fatal(err)
			}
			if err := raw.Apply(mods...); err != nil {
				t.Fatal(err)
			}
			if got := decodeJSON(t, raw.Bytes()); !reflect.DeepEqual(got, decodeJSON(t, want)) {
				t.Errorf("raw edit:\n%s\ntyped edit:\n%s", raw.Bytes(), want)
			}
			// Outside the env array, the bytes are the file's.
			at := raw.at
			head, tail := raw.Bytes()[:at.envStart], raw.Bytes()[at.envEnd:]
			if !bytes.HasPrefix(data, head) || !bytes.HasSuffix(data, tail) {
				t.Errorf("bytes outside process.env changed:\n%s", raw.Bytes())
			}
		})
	}
}

// TestRawApplyTyped: a modifier that edits more than process.env goes
// through the runtime-spec types, as Config does.
func TestRawApplyTyped(t *testing.T) {
	data := []byte(`{"ociVersion":"1.0.0","process":{"args":["a"],"env":["A=1"],"x-future":2},"x-top":[1.50]}`)
	mods := []Modifier{FDEnv([]string{"WW_FD_A=3"}), Args([]string{"/app"})}
	raw, err := ParseRaw(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Apply(mods...); err != nil {
		t.Fatal(err)
	}
	typed, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := Apply(typed.Spec, mods...); err != nil {
		t.Fatal(err)
	}
	want, err := typed.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw.Bytes(), want) {
		t.Errorf("raw:\n%s\nwant:\n%s", raw.Bytes(), want)
	}
	if !slices.Equal(raw.Env, []string{"A=1", "WW_FD_A=3"}) {
		t.Errorf("env after the edit = %q", raw.Env)
	}
	if err := raw.Apply(Args(nil)); err == nil {
		t.Error("empty args: no error")
	}
	if !bytes.Equal(raw.Bytes(), want) {
		t.Errorf("a refused edit changed the config:\n%s", raw.Bytes())
	}
}

func TestRawNamespaces(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		want    []specs.LinuxNamespace
		wantErr string
	}{
		{"no linux: none", `{}`, nil, ""},
		{"null linux: none", `{"linux":null}`, nil, ""},
		{"namespaces: read, the rest of linux not",
			`{"linux":{"namespaces":[{"type":"pid"},{"type":"network","path":"/run/netns/a"}],"resources":{"x":"not a resource"}}}`,
			[]specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.NetworkNamespace, Path: "/run/netns/a"}}, ""},
		{"namespaces not a list: error", `{"linux":{"namespaces":5}}`, nil, "linux: json: cannot unmarshal number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseRaw([]byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Namespaces()
			if tt.wantErr != "" {
				if err == nil || !bytes.HasPrefix([]byte(err.Error()), []byte(tt.wantErr)) {
					t.Fatalf("error = %v, want prefix %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("namespaces = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// TestRawSaveFile: the edited bytes reach the file, which keeps its mode.
func TestRawSaveFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ConfigName)
	if err := os.WriteFile(path, []byte(`{"process":{"env":[]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	data, _, err := ReadConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseRaw(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(FDEnv([]string{"WW_FD_A=3"})); err != nil {
		t.Fatal(err)
	}
	if err := c.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != `{"process":{"env":["WW_FD_A=3"]}}` {
		t.Errorf("file: %s", got)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v; want 0600", st.Mode().Perm(), err)
	}
}
