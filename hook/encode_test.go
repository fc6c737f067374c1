package hook

import (
	"bytes"
	"encoding/json"
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
// strings and numbers.
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
		if got := appendRecord(nil, r); !bytes.Equal(got, want) {
			t.Errorf("appendRecord\n got %s\nwant %s", got, want)
		}
	})
}
