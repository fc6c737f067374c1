package spec

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// headSeeds are configs for the fast path's tests and fuzzing: the
// testdata files and the odd corners.
func headSeeds(t testing.TB) [][]byte {
	t.Helper()
	seeds := [][]byte{
		[]byte(`{"annotations":null,"process":null,"linux":null}`),
		[]byte(`{"annotations":{},"process":{},"linux":{}}`),
		[]byte(` {"process":{"env":[]}} `),
		[]byte(`{"process":{"env":null,"args":["a",1,true,null,{"x":[1.5e3]}]}}`),
		[]byte(`{"Process":{"ENV":["A=\"1\"","\u00e9=\ud83d\ude00"]},"annotations":{"k\u0041":"v\\","é":"x"}}`),
		[]byte(`{"proceſs":{"env":["A=1"]},"x":-0.5,"y":[[],{}]}`),
		[]byte(`{"process":{},"Process":{}}`),
		[]byte(`{"annotations":{"a":1}}`),
		[]byte(`{"annotations":{"a":"1","A":"2"}}`),
		[]byte(`{"process":{"env":[1]}}`),
		[]byte(`{"process":[]}`),
		[]byte(`[]`),
		[]byte("{\"a\":\"\xff\",\"process\":{\"env\":[\"\xfe=1\"]}}"),
	}
	for _, name := range []string{"runc-spec.json", "unknown-fields.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, data)
	}
	return seeds
}

// sameHead reports whether the fast path read what the Decoder's did.
func sameHead(t testing.TB, data []byte, h1 *Head, at1 *layout, h2 *Head, at2 *layout) {
	t.Helper()
	if !reflect.DeepEqual(h1, h2) {
		t.Fatalf("%q: fast path read %+v, the Decoder %+v", data, h1, h2)
	}
	if at1.envStart != at2.envStart || at1.envEnd != at2.envEnd || !bytes.Equal(at1.linux, at2.linux) ||
		(h1.HasProcess && (at1.procOpen != at2.procOpen || at1.procEmpty != at2.procEmpty)) {
		t.Fatalf("%q: fast path found %+v, the Decoder %+v", data, at1, at2)
	}
}

// TestParseHeadFast: on the usual configs the fast path does not give
// up, and reads what the Decoder reads.
func TestParseHeadFast(t *testing.T) {
	for _, data := range headSeeds(t)[:6] {
		h1, at1, ok := parseHeadFast(data)
		if !ok {
			t.Errorf("%q: fast path gave up", data)
			continue
		}
		h2, at2, err := parseHeadDecoder(data)
		if err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		sameHead(t, data, h1, at1, h2, at2)
	}
	for _, data := range headSeeds(t)[6:12] {
		if _, _, ok := parseHeadFast(data); ok {
			t.Errorf("%q: fast path did not give up", data)
		}
	}
}

// FuzzParseHeadFast: whatever the fast path accepts, the Decoder's path
// accepts, reading the same head at the same places.
func FuzzParseHeadFast(f *testing.F) {
	for _, s := range headSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		h1, at1, ok := parseHeadFast(data)
		if !ok {
			return
		}
		h2, at2, err := parseHeadDecoder(data)
		if err != nil {
			t.Fatalf("%q: fast path accepted, the Decoder: %v", data, err)
		}
		sameHead(t, data, h1, at1, h2, at2)
	})
}

// namespacesSeeds are linux values for the namespaces' fast path.
var namespacesSeeds = []string{
	`{"namespaces":[{"type":"pid"},{"type":"network","path":"/run/netns/a"},{"type":"mount","x":[1,{"y":null}]}]}`,
	`{"resources":{"memory":{"limit":1}},"Namespaces":[],"x":"]"}`,
	`{"namespaces":null}`,
	`{}`,
	`{"NAMESPACES":[{"TYPE":"ipc","Path":"\u002fp"}]}`,
	`{"namespaces":[null]}`,
	`{"namespaces":[{"type":1}]}`,
	`{"namespaces":[{"type":"pid","type":"net"}]}`,
	`{"namespaces":[],"namespaces":[{"type":"pid"}]}`,
	`{"namespaces":5}`,
	`[]`,
}

// unmarshalNamespaces is what RawConfig.Namespaces falls back to.
func unmarshalNamespaces(linux []byte) ([]specs.LinuxNamespace, error) {
	var l linuxNamespaces
	err := json.Unmarshal(linux, &l)
	return l.Namespaces, err
}

// TestNamespacesFast: the usual lists are read without giving up, as
// json.Unmarshal reads them; the odd ones are left to it.
func TestNamespacesFast(t *testing.T) {
	for i, s := range namespacesSeeds {
		got, ok := namespacesFast([]byte(s))
		if ok != (i < 5) {
			t.Errorf("%s: fast path ok %v, want %v", s, ok, i < 5)
		}
		if !ok {
			continue
		}
		want, err := unmarshalNamespaces([]byte(s))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: fast path read %#v, json.Unmarshal %#v, %v", s, got, want, err)
		}
	}
}

// FuzzNamespacesFast: whatever the fast path reads, json.Unmarshal
// reads the same.
func FuzzNamespacesFast(f *testing.F) {
	for _, s := range namespacesSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		got, ok := namespacesFast(data)
		if !ok {
			return
		}
		want, err := unmarshalNamespaces(data)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: fast path read %#v, json.Unmarshal %#v, %v", data, got, want, err)
		}
	})
}
