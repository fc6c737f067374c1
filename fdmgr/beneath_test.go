package fdmgr

import (
	"testing"
)

// confined parses text and confines it to folder.
func confined(t *testing.T, text, folder string) Source {
	t.Helper()
	s, err := ParseSource(text)
	if err != nil {
		t.Fatal(err)
	}
	s.Beneath = folder
	return s
}

func TestCheckBeneath(t *testing.T) {
	tests := []struct {
		name, text, folder string
		wantRel, wantErr   string
	}{
		{"file beneath, relative path", "file:/srv/shared/a/b", "/srv/shared", "a/b", ""},
		{"file with .. beneath as written, left to the kernel", "file:/srv/shared/../../etc/shadow", "/srv/shared", "../../etc/shadow", ""},
		{"the folder itself, dot", "file:/srv/shared?dir=true", "/srv/shared", ".", ""},
		{"the folder with a slash, dot", "file:/srv/shared/", "/srv/shared", ".", ""},
		{"doubled slash, one element", "file:/srv/shared//a", "/srv/shared", "a", ""},
		{"folder /, everything beneath", "file:/etc/hostname", "/", "etc/hostname", ""},
		{"unix beneath, relative path", "unix:/run/app/db.sock", "/run/app", "db.sock", ""},
		{"listen unix beneath, relative path", "listen:unix:/run/app/x.sock", "/run/app", "x.sock", ""},
		{"abstract unix, ignored", "unix:@db", "/run/app", "", ""},
		{"abstract listen, ignored", "listen:unix:@db", "/run/app", "", ""},
		{"no folder, unconfined", "tcp:127.0.0.1:1", "", "", ""},

		{"file outside, error", "file:/etc/shadow", "/srv/shared", "", "not beneath /srv/shared"},
		{"sibling sharing a prefix, error", "file:/srv/shared2/x", "/srv/shared", "", "not beneath /srv/shared"},
		{"relative path, error", "file:srv/shared/x", "/srv/shared", "", "not beneath /srv/shared"},
		{"relative folder, error", "file:/srv/shared/x", "srv/shared", "", `folder "srv/shared" is not an absolute, clean path`},
		{"folder with a slash, error", "file:/srv/shared/x", "/srv/shared/", "", `folder "/srv/shared/" is not an absolute, clean path`},
		{"folder with .., error", "file:/srv/shared/x", "/srv/x/../shared", "", `folder "/srv/x/../shared" is not an absolute, clean path`},
		{"folder with NUL, error", "file:/srv/shared/x", "/srv/\x00", "", `folder "/srv/\x00" is not an absolute, clean path`},
		{"tcp with a folder, error", "tcp:127.0.0.1:1", "/srv", "", `a folder to stay beneath applies to "file:", "unix:" and "listen:unix:" only`},
		{"listen tcp with a folder, error", "listen:tcp::0", "/srv", "", `a folder to stay beneath applies to "file:", "unix:" and "listen:unix:" only`},
		{"fd with a folder, error", "fd:3", "/srv", "", `a folder to stay beneath applies to "file:", "unix:" and "listen:unix:" only`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := confined(t, tc.text, tc.folder)
			err := checkBeneath(s)
			if got := errText(err); got != tc.wantErr {
				t.Fatalf("checkBeneath(%q beneath %q) = %q, want %q", tc.text, tc.folder, got, tc.wantErr)
			}
			if tc.wantRel == "" {
				return
			}
			if rel, err := s.beneathRel(); err != nil || rel != tc.wantRel {
				t.Errorf("beneathRel = %q, %v; want %q", rel, err, tc.wantRel)
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestSplitName(t *testing.T) {
	tests := []struct{ name, rel, dir, file string }{
		{"one element, in the folder", "s", ".", "s"},
		{"two elements, in a subfolder", "a/s", "a", "s"},
		{"doubled slash, cut", "a//s", "a", "s"},
		{"dot dot in the folder part, kept", "a/../s", "a/..", "s"},
		{"trailing slash, no name", "a/", "a", ""},
		{"dot, no name", ".", ".", ""},
		{"dot dot, no name", "a/..", "a", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if dir, file := splitName(tc.rel); dir != tc.dir || file != tc.file {
				t.Errorf("splitName(%q) = %q, %q; want %q, %q", tc.rel, dir, file, tc.dir, tc.file)
			}
		})
	}
}

// TestAddSource checks that a confined source is added as given, and that
// one that is not what its text says, or not confinable, is refused
// before anything is opened.
func TestAddSource(t *testing.T) {
	edit := func(text string, f func(*Source)) func(*testing.T) Source {
		return func(t *testing.T) Source {
			s := confined(t, text, "/srv/shared")
			f(&s)
			return s
		}
	}
	keep := func(*Source) {}
	tests := []struct {
		name    string
		source  func(*testing.T) Source
		wantErr string
	}{
		{"file beneath, added", edit("file:/srv/shared/x", keep), ""},
		{"device allowed, added", edit("file:/srv/shared/null", func(s *Source) { s.AllowDevice = true }), ""},
		{"unconfined, added", edit("tcp:10.0.0.5:5432", func(s *Source) { s.Beneath = "" }), ""},
		{"listen unix beneath, added", edit("listen:unix:/srv/shared/s", keep), ""},
		{"path changed, refused", edit("file:/srv/shared/x", func(s *Source) { s.Path = "/etc/shadow" }),
			`source "file:/srv/shared/x": its fields are not what its text says`},
		{"mode changed, refused", edit("file:/srv/shared/x", func(s *Source) { s.Mode = OpenWrite }),
			`source "file:/srv/shared/x": its fields are not what its text says`},
		{"text outside, refused", edit("file:/etc/shadow", keep), `source "file:/etc/shadow": not beneath /srv/shared`},
		{"tcp confined, refused", edit("tcp:10.0.0.5:5432", keep),
			`source "tcp:10.0.0.5:5432": a folder to stay beneath applies to "file:", "unix:" and "listen:unix:" only`},
		{"zero source, refused", func(*testing.T) Source { return Source{} }, "source is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewFDManager()
			s := tc.source(t)
			err := m.AddSource("x", s)
			if got := errText(err); got != tc.wantErr {
				t.Fatalf("AddSource(%+v) = %q, want %q", s, got, tc.wantErr)
			}
			if err != nil {
				if m.Len() != 0 {
					t.Errorf("a refused source was added")
				}
				return
			}
			if reqs := m.Requests(); len(reqs) != 1 || reqs[0].Source != s {
				t.Errorf("requests %+v, want the source as given", reqs)
			}
		})
	}

	m := NewFDManager()
	if err := m.AddSource("a", confined(t, "file:/srv/shared/x", "/srv/shared")); err != nil {
		t.Fatal(err)
	}
	if err := m.AddSource("A", confined(t, "file:/srv/shared/y", "/srv/shared")); err == nil || err.Error() != `name "A" is the same as "a" (both are WW_FD_A)` {
		t.Errorf("a second name A: %v", err)
	}
	if err := m.AddSource("é", confined(t, "file:/srv/shared/y", "/srv/shared")); err == nil {
		t.Error("a bad name was added")
	}
}
