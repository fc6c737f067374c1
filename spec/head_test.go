package spec

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestParseHead(t *testing.T) {
	tests := []struct {
		name string
		data string
		want Head
	}{
		{
			name: "annotations and env: both read",
			data: `{"ociVersion":"1.0.0","annotations":{"fd.ww.dev/a":"file:/x"},"process":{"args":["sh"],"env":["A=1","WW_FD_A=3"]}}`,
			want: Head{Annotations: map[string]string{"fd.ww.dev/a": "file:/x"}, HasProcess: true, Env: []string{"A=1", "WW_FD_A=3"}},
		},
		{
			name: "no annotations, no process: empty head",
			data: `{"ociVersion":"1.0.0","root":{"path":"rootfs"}}`,
		},
		{
			name: "null annotations and process: as absent",
			data: `{"annotations":null,"process":null}`,
		},
		{
			name: "process without env: HasProcess only",
			data: `{"process":{"cwd":"/","args":["a"]}}`,
			want: Head{HasProcess: true},
		},
		{
			name: "same key in two other objects: not ww's concern",
			data: `{"linux":{"x":1},"root":{"x":1},"process":{"user":{"uid":0},"env":[]}}`,
			want: Head{HasProcess: true, Env: []string{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseHead([]byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*h, tt.want) {
				t.Errorf("ParseHead = %+v, want %+v", *h, tt.want)
			}
		})
	}
}

func TestParseHeadErrors(t *testing.T) {
	long := strings.Repeat("k", 1000)
	tests := []struct {
		name    string
		data    string
		wantErr string
	}{
		{"annotations twice: refused", `{"annotations":{"a":"1"},"annotations":{"b":"2"}}`, `config has the key "annotations" twice`},
		{"process twice: refused", `{"process":{},"process":{}}`, `config has the key "process" twice`},
		{"annotation key twice: refused", `{"annotations":{"fd.ww.dev/a":"file:/x","fd.ww.dev/a":"file:/y"}}`, `annotations: the object has the key "fd.ww.dev/a" twice`},
		{"env twice: refused", `{"process":{"env":[],"env":["A=1"]}}`, `process has the key "env" twice`},
		{"long key twice: quoted cut", `{"` + long + `":1,"` + long + `":2}`, `config has the key "` + long[:200] + `…" twice`},
		{"annotation not a string: refused", `{"annotations":{"a":1}}`, `annotations: key "a": json: cannot unmarshal number`},
		{"env not strings: refused", `{"process":{"env":[1]}}`, `process.env: json: cannot unmarshal number`},
		{"an array: not an object", `[]`, `config is not a JSON object`},
		{"cut short: unexpected EOF", `{"annotations":{"a":`, `unexpected EOF`},
		{"two objects: data after", `{} {}`, `config has data after its JSON object`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseHead([]byte(tt.data))
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want prefix %q", err, tt.wantErr)
			}
			if len(tt.data) < 500 {
				return
			}
			if err != nil && len(err.Error()) > 300 {
				t.Errorf("error is %d bytes long", len(err.Error()))
			}
		})
	}
}

// TestParseRefusesDuplicates: the full parse refuses what ParseHead does,
// so no caller can open fds for annotations the written config drops.
func TestParseRefusesDuplicates(t *testing.T) {
	_, err := Parse([]byte(`{"annotations":{"a":"1"},"annotations":{"b":"2"}}`))
	if err == nil || err.Error() != `config has the key "annotations" twice` {
		t.Errorf("error = %v", err)
	}
}

// TestParseHeadFoldsCase: keys that differ in case only are one key to a
// JSON decoder, so to ParseHead too.
func TestParseHeadFoldsCase(t *testing.T) {
	_, err := ParseHead([]byte(`{"annotations":{},"Annotations":{"fd.ww.dev/a":"file:/x"}}`))
	if err == nil || err.Error() != `config has the key "Annotations" twice` {
		t.Errorf("error = %v", err)
	}
	h, err := ParseHead([]byte(`{"Annotations":{"a":"b"},"Process":{"Env":["A=1"]}}`))
	if err != nil || h.Annotations["a"] != "b" || len(h.Env) != 1 {
		t.Errorf("head %+v, %v; want the annotation and env read", h, err)
	}
	// encoding/json folds beyond ASCII: the long s is an s, the Kelvin
	// sign a k.
	_, err = ParseHead([]byte(`{"process":{},"proceſs":{}}`))
	if err == nil || err.Error() != `config has the key "proceſs" twice` {
		t.Errorf("error = %v", err)
	}
	h, err = ParseHead([]byte(`{"proceſs":{"env":["A=1"]}}`))
	if err != nil || !h.HasProcess || len(h.Env) != 1 {
		t.Errorf("head %+v, %v; want the env of proceſs read", h, err)
	}
}

// TestFoldKey: keys fold to one form exactly when bytes.EqualFold calls
// them equal, the rule encoding/json matches fields by.
func TestFoldKey(t *testing.T) {
	keys := []string{"env", "ENV", "Env", "process", "proceſs", "PROCESS", "k", "K", "\u212a", "linux", "lınux", "σ", "ς", "Σ", "x", ""}
	for _, a := range keys {
		for _, b := range keys {
			if got, want := foldKey(a) == foldKey(b), bytes.EqualFold([]byte(a), []byte(b)); got != want {
				t.Errorf("foldKey(%q) == foldKey(%q) is %v, bytes.EqualFold %v", a, b, got, want)
			}
		}
	}
}

// TestParseChecked: for data ParseHead accepted, ParseChecked gives what
// Parse gives.
func TestParseChecked(t *testing.T) {
	data := []byte(`{"ociVersion":"1.0.0","process":{"args":["a"],"env":["A=1"]},"annotations":{"k":"v"},"x-unknown":1}`)
	a, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseChecked(data)
	if err != nil {
		t.Fatal(err)
	}
	ma, _ := a.Marshal()
	mb, _ := b.Marshal()
	if string(ma) != string(mb) {
		t.Errorf("ParseChecked wrote %s, Parse %s", mb, ma)
	}
}
