package hook

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkCreatePath is what ww runtime adds to a create with two fds
// and a socket file: the stale check (one stat), the record begun, then
// completed, then marked created, on a tmpfs as /run is.
func BenchmarkCreatePath(b *testing.B) {
	base, err := os.MkdirTemp("/dev/shm", "ww-hook-bench-")
	if err != nil {
		b.Skip(err)
	}
	defer os.RemoveAll(base)
	s, err := OpenStore(filepath.Join(base, "records"), true)
	if err != nil {
		b.Fatal(err)
	}
	bundle := b.TempDir()
	intended := []File{{Path: filepath.Join(base, "s.sock"), Socket: true}}
	for b.Loop() {
		if s.Has("c", "/run/runc") {
			b.Fatal("record left")
		}
		r, err := Begin("c", "/run/runc", bundle, intended)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Write(r); err != nil {
			b.Fatal(err)
		}
		r.FDs = []FD{{Name: "a", Target: 3, Dev: 1, Ino: 2}, {Name: "b", Target: 4, Dev: 1, Ino: 3}}
		r.Files = []File{{Path: intended[0].Path, Socket: true, Dev: 1, Ino: 4}}
		if err := s.Write(r); err != nil {
			b.Fatal(err)
		}
		r.Created = true
		if err := s.Write(r); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Remove(r)
		b.StartTimer()
	}
}
