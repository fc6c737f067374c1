package main

import (
	"path/filepath"
	"testing"
)

// TestCleanAfterRefusesOtherFolders checks that a watcher only ever
// cleans a folder of ww's own.
func TestCleanAfterRefusesOtherFolders(t *testing.T) {
	root := bundlesRoot()
	tests := []struct {
		name, path, want string
	}{
		{"folder elsewhere, refused", "/tmp/x-1", `--clean-after-run "/tmp/x-1": not a folder of ` + root},
		{"the root itself, refused", root, `--clean-after-run "` + root + `": not a folder of ` + root},
		{"deeper folder, refused", filepath.Join(root, "a-1", "b"), `--clean-after-run "` + filepath.Join(root, "a-1", "b") + `": not a folder of ` + root},
		{"missing folder of ww's, nothing to do", filepath.Join(root, "ww-test-missing-1"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := cleanAfter(tc.path)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("cleanAfter: %v, want none", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Errorf("cleanAfter: %v, want %s", err, tc.want)
			}
		})
	}
}
