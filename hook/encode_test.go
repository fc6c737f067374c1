package hook

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// TestAppendRecord checks appendRecord against encoding/json, byte for
// byte, on records with every field set, none, and strings that need
// escaping.
func TestAppendRecord(t *testing.T) {
	records := []*Record{
		{},
		{ID: "c", Root: "/run/runc", Bundle: "/b", BundleDev: 1, BundleIno: 2, Begun: -5},
		{
			ID: "web-1", Root: "", Bundle: "/run/containerd/b\"\\<>&\u2028\u2029\x00\x1f\x7f\t\n\r\b\f", BundleDev: 1<<64 - 1, BundleIno: 7,
			Begun: 1<<63 - 1, Pid: 4242, Created: true,
			FDs: []FD{{Name: "db", Target: 3, Dev: 9, Ino: 10}, {Name: "é\xff\xfe", Target: -1}},
			Files: []File{
				{Path: "/run/a.sock", Socket: true, Dev: 1, Ino: 2},
				{Path: "/tmp/out", PrevDev: 3, PrevIno: 4, DirDev: 5, DirIno: 6},
				{Path: "/x\xed\xa0\x80y"}, // a surrogate's bytes: invalid UTF-8
			},
		},
	}
	for _, r := range records {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendRecord(nil, r); !bytes.Equal(got, want) {
			t.Errorf("appendRecord(%+v)\n got %s\nwant %s", r, got, want)
		}
	}
}

// FuzzAppendRecord checks appendRecord against encoding/json for any
// strings and numbers, and that decodeRecord reads all it writes.
func FuzzAppendRecord(f *testing.F) {
	f.Add("c", "/run/runc", "/b", "db", "/s.sock", uint64(1), int64(2), 3, true)
	f.Add("", "\u2028<&>", "\xff", "\x00", "\"\\", uint64(0), int64(-1), -1, false)
	f.Fuzz(func(t *testing.T, id, root, bundle, name, path string, n uint64, begun int64, target int, socket bool) {
		r := &Record{ID: id, Root: root, Bundle: bundle, BundleDev: n, BundleIno: n >> 3, Begun: begun, Pid: target, Created: socket,
			FDs:   []FD{{Name: name, Target: target, Dev: n, Ino: n + 1}},
			Files: []File{{Path: path, Socket: socket, Dev: n, Ino: n >> 1, PrevDev: n >> 2, PrevIno: n >> 4, DirDev: n >> 5, DirIno: n >> 6}},
		}
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		got := appendRecord(nil, r)
		if !bytes.Equal(got, want) {
			t.Errorf("appendRecord\n got %s\nwant %s", got, want)
		}
		if _, ok := decodeRecord(got); !ok {
			t.Errorf("decodeRecord does not read what appendRecord wrote: %s", got)
		}
	})
}

// TestDecodeRecord checks that decodeRecord reads what appendRecord
// writes, as encoding/json reads it, and leaves other forms to it.
func TestDecodeRecord(t *testing.T) {
	for _, r := range []*Record{
		{ID: "c", Root: "/run/runc", Bundle: "/b", BundleDev: 1, BundleIno: 2, Begun: -5},
		{
			ID: "web-1", Bundle: "/run/b\"\\<>&\u2028\u2029\x00\x1f\x7f\t\n\r\b\fé\xff", BundleDev: 1<<64 - 1, BundleIno: 7,
			Begun: 1<<63 - 1, Pid: 4242, Created: true,
			FDs:   []FD{{Name: "db", Target: 3, Dev: 9, Ino: 10}, {Name: "x", Target: -1}},
			Files: []File{{Path: "/run/a.sock", Socket: true, Dev: 1, Ino: 2}, {Path: "/tmp/out", PrevDev: 3, PrevIno: 4, DirDev: 5, DirIno: 6}, {Path: "/p"}},
		},
	} {
		data := appendRecord(nil, r)
		got, ok := decodeRecord(data)
		if !ok {
			t.Fatalf("decodeRecord(%s): not read", data)
		}
		var want Record
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, &want) {
			t.Errorf("decodeRecord(%s)\n = %+v\nwant %+v", data, got, &want)
		}
	}
	for _, data := range []string{
		`{"id":"c","root":"","bundle":"/b","bundleDev":1,"bundleIno":2,"begun":3,"pid":4,"pid":5}`,
		`{"root":"","id":"c","bundle":"/b","bundleDev":1,"bundleIno":2,"begun":3}`,
		`{"id":"c","root":"","bundle":"/b","bundleDev":1,"bundleIno":2,"begun":3} `,
		`{"id":"c\/","root":"","bundle":"/b","bundleDev":1,"bundleIno":2,"begun":3}`,
		`{"id":"c","root":"","bundle":"/b","bundleDev":01,"bundleIno":2,"begun":3}`,
		`{"id":"c","root":"","bundle":"/b","bundleDev":1,"bundleIno":2,"begun":3,"fds":[]}`,
		`{"id":"c","root":"","bundle":"/b","bundleDev":1,"bundleIno":2,"begun":3,"created":false}`,
	} {
		if r, ok := decodeRecord([]byte(data)); ok {
			t.Errorf("decodeRecord(%s) = %+v, want it left to encoding/json", data, r)
		}
	}
}

// FuzzDecodeRecord checks decodeRecord against encoding/json on any
// bytes: where it reads a record, json.Unmarshal reads the same one.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(appendRecord(nil, &Record{ID: "c", Root: "/r", Bundle: "/b", Begun: 1, Pid: 2, Created: true,
		FDs: []FD{{Name: "a", Target: 3, Dev: 1, Ino: 2}}, Files: []File{{Path: "/s", Socket: true, Dev: 1, Ino: 2, DirIno: 9}}}))
	f.Add([]byte(`{"id":"\u00e9\u2028\"","root":"","bundle":"/b","bundleDev":0,"bundleIno":0,"begun":-0}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := decodeRecord(data)
		if !ok {
			return
		}
		var want Record
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("decodeRecord(%q) read what json.Unmarshal refuses: %v", data, err)
		}
		if !reflect.DeepEqual(got, &want) {
			t.Fatalf("decodeRecord(%q)\n = %+v\nwant %+v", data, got, &want)
		}
	})
}
