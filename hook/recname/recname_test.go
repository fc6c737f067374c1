package recname

import "testing"

func TestName(t *testing.T) {
	// FNV-1a 64 of "" is its offset basis; of "/x", worked out by hand.
	for _, tc := range []struct{ id, root, want string }{
		{"c", "", "c@cbf29ce484222325"},
		{"foo", "/x", "foo@7d64e07b49caeb2"},
	} {
		if got := Name(tc.id, tc.root); got != tc.want {
			t.Errorf("Name(%q, %q) = %q, want %q", tc.id, tc.root, got, tc.want)
		}
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{
		"a-b_c+d.e": true, "": false, ".": false, "..": false, "a/b": false, "é": false,
		string(make([]byte, 1025)): false,
	} {
		if got := ValidID(id); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestDir(t *testing.T) {
	t.Setenv("TMPDIR", "/tmpx")
	for _, tc := range []struct {
		env  []string
		euid int
		want string
	}{
		{[]string{DirEnv + "=/a", DirEnv + "=/b"}, 1000, "/b"},
		{nil, 0, DefaultDir},
		{[]string{"XDG_RUNTIME_DIR=/run/user/1000/"}, 1000, "/run/user/1000/ww/containers"},
		{nil, 1000, "/tmpx/ww-1000/containers"},
	} {
		if got := Dir(tc.env, tc.euid); got != tc.want {
			t.Errorf("Dir(%q, %d) = %q, want %q", tc.env, tc.euid, got, tc.want)
		}
	}
}
