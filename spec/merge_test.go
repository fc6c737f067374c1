package spec

import (
	"bytes"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestMarshalMerge(t *testing.T) {
	tests := []struct {
		name   string
		before string
		edit   func(s *specs.Spec)
		after  string
	}{
		{
			name:   "unknown top-level key, no edit: kept",
			before: `{"ociVersion":"1.0.0","x-vendor":{"a":[1,2]}}`,
			edit:   func(*specs.Spec) {},
			after:  `{"ociVersion":"1.0.0","x-vendor":{"a":[1,2]}}`,
		},
		{
			name:   "unknown key in process, args edited: kept beside new args",
			before: `{"ociVersion":"1.0.0","process":{"x-future":1,"cwd":"/","user":{"uid":0,"gid":0},"args":["sh"]}}`,
			edit:   func(s *specs.Spec) { s.Process.Args = []string{"ls"} },
			after:  `{"ociVersion":"1.0.0","process":{"x-future":1,"cwd":"/","user":{"uid":0,"gid":0},"args":["ls"]}}`,
		},
		{
			name:   "known field cleared: removed",
			before: `{"ociVersion":"1.0.0","hostname":"web","x":true}`,
			edit:   func(s *specs.Spec) { s.Hostname = "" },
			after:  `{"ociVersion":"1.0.0","x":true}`,
		},
		{
			name:   "annotation deleted: removed, others kept",
			before: `{"ociVersion":"1.0.0","annotations":{"a":"1","b":"2"}}`,
			edit:   func(s *specs.Spec) { delete(s.Annotations, "a") },
			after:  `{"ociVersion":"1.0.0","annotations":{"b":"2"}}`,
		},
		{
			name:   "explicit false set to true: true",
			before: `{"ociVersion":"1.0.0","process":{"terminal":false,"cwd":"/","user":{"uid":0,"gid":0}}}`,
			edit:   func(s *specs.Spec) { s.Process.Terminal = true },
			after:  `{"ociVersion":"1.0.0","process":{"terminal":true,"cwd":"/","user":{"uid":0,"gid":0}}}`,
		},
		{
			name:   "null process, process set: process written",
			before: `{"ociVersion":"1.0.0","process":null}`,
			edit:   func(s *specs.Spec) { s.Process = &specs.Process{Cwd: "/", Args: []string{"sh"}} },
			after:  `{"ociVersion":"1.0.0","process":{"cwd":"/","user":{"uid":0,"gid":0},"args":["sh"]}}`,
		},
		{
			name: "mount inserted before a mount with an unknown field: field kept on its mount",
			before: `{"ociVersion":"1.0.0","mounts":[
				{"destination":"/proc","type":"proc","source":"proc","x-m":1}]}`,
			edit: func(s *specs.Spec) {
				s.Mounts = append([]specs.Mount{{Destination: "/run/ww", Type: "bind", Source: "/run/ww"}}, s.Mounts...)
			},
			after: `{"ociVersion":"1.0.0","mounts":[
				{"destination":"/run/ww","type":"bind","source":"/run/ww"},
				{"destination":"/proc","type":"proc","source":"proc","x-m":1}]}`,
		},
		{
			name: "mount with an unknown field edited: edit written, field dropped",
			before: `{"ociVersion":"1.0.0","mounts":[
				{"destination":"/proc","type":"proc","source":"proc","x-m":1}]}`,
			edit:  func(s *specs.Spec) { s.Mounts[0].Options = []string{"ro"} },
			after: `{"ociVersion":"1.0.0","mounts":[{"destination":"/proc","type":"proc","source":"proc","options":["ro"]}]}`,
		},
		{
			name:   "unknown key in linux, namespace added: kept",
			before: `{"ociVersion":"1.0.0","linux":{"x-l":{"m":"s"},"namespaces":[{"type":"pid"}]}}`,
			edit: func(s *specs.Spec) {
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace})
			},
			after: `{"ociVersion":"1.0.0","linux":{"x-l":{"m":"s"},"namespaces":[{"type":"pid"},{"type":"network"}]}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.before))
			if err != nil {
				t.Fatal(err)
			}
			tt.edit(c.Spec)
			data, err := c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if got, want := decodeJSON(t, data), decodeJSON(t, []byte(tt.after)); !reflect.DeepEqual(got, want) {
				t.Errorf("after:\n%s\nwant:\n%s", data, tt.after)
			}
		})
	}
}

func TestMarshalKeepsLiterals(t *testing.T) {
	c, err := Parse([]byte(`{"ociVersion":"1.0.0","x":1.50,"big":18446744073709551615,"annotations":{"h":"<&>"}}`))
	if err != nil {
		t.Fatal(err)
	}
	data, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`1.50`, `18446744073709551615`, `"<&>"`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("marshalled config lacks %s:\n%s", want, data)
		}
	}
}
