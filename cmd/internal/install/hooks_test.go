package install

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHookJSONIsDeployHooksD checks that the files ww install writes come
// from the same source as deploy/hooks.d: without the marker and with the
// default ww, they are the deploy files byte for byte.
func TestHookJSONIsDeployHooksD(t *testing.T) {
	files, err := filepath.Glob("../../../deploy/hooks.d/*.json")
	if err != nil || len(files) != len(hookStages) {
		t.Fatalf("deploy/hooks.d: %d files (%v), want one per stage %q", len(files), err, hookStages)
	}
	for _, stage := range hookStages {
		want, err := os.ReadFile(filepath.Join("../../../deploy/hooks.d", hookFileName(stage)))
		if err != nil {
			t.Fatal(err)
		}
		if got := hookJSON(stage, WWPath, false); !bytes.Equal(got, want) {
			t.Errorf("deploy/hooks.d/%s differs from what ww install writes:\n%s\nwant\n%s", hookFileName(stage), want, got)
		}
	}
}

// TestHookJSONDecodes checks that the marked file is the deploy file plus
// the comment key, with the path given, and valid JSON.
func TestHookJSONDecodes(t *testing.T) {
	b := hookJSON("poststop", `/opt/w"w/ww`, true)
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if doc["comment"] != hookMarker || doc["hook"].(map[string]any)["path"] != `/opt/w"w/ww` {
		t.Errorf("decoded %v", doc)
	}
	delete(doc, "comment")
	var deploy map[string]any
	if err := json.Unmarshal(hookJSON("poststop", `/opt/w"w/ww`, false), &deploy); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(doc)
	want, _ := json.Marshal(deploy)
	if !bytes.Equal(got, want) {
		t.Errorf("marked file less its comment\n%s\nwant\n%s", got, want)
	}
}

func TestHooksPlan(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hooks.d")
	o := HookOptions{Dir: dir, WWPath: "/opt/ww/ww"}
	p, err := Hooks(o)
	if err != nil || len(p.Changes) != 2 {
		t.Fatalf("plan: %v, %d changes, want 2", err, len(p.Changes))
	}
	if err := p.Apply(); err != nil {
		t.Fatal(err)
	}
	if p, err = Hooks(o); err != nil || len(p.Changes) != 0 {
		t.Errorf("second install: %v, %d changes, want none", err, len(p.Changes))
	}
	o.WWPath = "/usr/bin/ww"
	if p, err = Hooks(o); err != nil || len(p.Changes) != 2 {
		t.Errorf("install of another ww: %v, %d changes, want 2 (its own files replaced)", err, len(p.Changes))
	}
	o.Uninstall = true
	if p, err = Hooks(o); err != nil || len(p.Changes) != 2 {
		t.Fatalf("uninstall: %v, %d changes", err, len(p.Changes))
	}
	if err := p.Apply(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("uninstall left %v", left)
	}
}

func TestHooksLeaveOtherFiles(t *testing.T) {
	deploy, err := os.ReadFile("../../../deploy/hooks.d/ww-poststop.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		content []byte
	}{
		{"a copy of deploy/hooks.d, kept", deploy},
		{"not JSON, kept", []byte("#!/bin/sh\n")},
		{"another comment, kept", []byte(`{"comment": "mine"}`)},
	} {
		for _, uninstall := range []bool{false, true} {
			t.Run(tt.name, func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "ww-poststop.json")
				if err := os.WriteFile(path, tt.content, 0o644); err != nil {
					t.Fatal(err)
				}
				_, err := Hooks(HookOptions{Dir: dir, WWPath: WWPath, Uninstall: uninstall})
				want := `--dir "` + dir + `": ww-poststop.json exists and was not written by ww install; remove it or name another --dir`
				if err == nil || err.Error() != want {
					t.Errorf("error %v, want %s", err, want)
				}
				if b, _ := os.ReadFile(path); !bytes.Equal(b, tt.content) {
					t.Errorf("file changed to %q", b)
				}
				if left, _ := os.ReadDir(dir); len(left) != 1 {
					t.Errorf("folder holds %v", left)
				}
			})
		}
	}
}

func TestHooksWarnOfMissingWW(t *testing.T) {
	p, err := Hooks(HookOptions{Dir: t.TempDir(), WWPath: "/nonexistent/ww"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings) != 1 || !strings.HasPrefix(p.Warnings[0], `--ww-path "/nonexistent/ww": not an executable file here`) {
		t.Errorf("warnings %q", p.Warnings)
	}
}

// TestCRIONamesHooks: ww install crio points at ww install hooks, with a
// folder that CRI-O reads by default.
func TestCRIONamesHooks(t *testing.T) {
	dir := t.TempDir()
	p, err := CRIO(Options{Config: filepath.Join(dir, "crio.conf"), DropIn: filepath.Join(dir, "crio.conf.d", "90-ww.conf"), Handler: "ww", RuntimePath: "/usr/local/bin/ww-runtime"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(p.Notes, "\n"), "ww install hooks --dir /usr/share/containers/oci/hooks.d") {
		t.Errorf("notes %q do not name ww install hooks", p.Notes)
	}
}
