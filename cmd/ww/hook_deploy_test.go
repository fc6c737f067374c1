package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// hooksFile is the containers/common hooks format, version 1.0.0.
type hooksFile struct {
	Version string `json:"version"`
	Hook    struct {
		Path    string   `json:"path"`
		Args    []string `json:"args"`
		Env     []string `json:"env"`
		Timeout *int     `json:"timeout"`
	} `json:"hook"`
	When struct {
		Annotations map[string]string `json:"annotations"`
	} `json:"when"`
	Stages []string `json:"stages"`
}

// TestDeployHooksD checks deploy/hooks.d: one file per stage ww hook
// serves, in the 1.0.0 format without unknown keys, running
// /usr/local/bin/ww with an explicit environment and a timeout, for
// containers with ww's fd annotations (of every container, or one
// container of a pod) and no others.
func TestDeployHooksD(t *testing.T) {
	files, err := filepath.Glob("../../deploy/hooks.d/*")
	if err != nil {
		t.Fatal(err)
	}
	var stages []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var h hooksFile
		d := json.NewDecoder(bytes.NewReader(b))
		d.DisallowUnknownFields()
		if err := d.Decode(&h); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(h.Stages) != 1 {
			t.Fatalf("%s: stages %q, want one", f, h.Stages)
		}
		stage := h.Stages[0]
		stages = append(stages, stage)
		if h.Version != "1.0.0" || h.Hook.Path != "/usr/local/bin/ww" || !slices.Equal(h.Hook.Args, []string{"ww", "hook", stage}) {
			t.Errorf("%s: version %q, path %q, args %q", f, h.Version, h.Hook.Path, h.Hook.Args)
		}
		if len(h.Hook.Env) == 0 || h.Hook.Timeout == nil || *h.Hook.Timeout <= 0 || *h.Hook.Timeout > 30 {
			t.Errorf("%s: env %q, timeout %v: want an explicit env and a timeout", f, h.Hook.Env, h.Hook.Timeout)
		}
		if want := "ww-" + strings.ToLower(stage) + ".json"; filepath.Base(f) != want {
			t.Errorf("%s: want the name %s", f, want)
		}
		if len(h.When.Annotations) != 1 {
			t.Fatalf("%s: when.annotations %q, want one key", f, h.When.Annotations)
		}
		for k, v := range h.When.Annotations {
			key, val := regexp.MustCompile(k), regexp.MustCompile(v)
			for ann, want := range map[string]bool{
				"fd.ww.dev/log": true, "app.fd.ww.dev/log": true,
				"options.ww.dev/systemd": false, "fd.ww.dev/": false, "xfd.ww.dev/log": false, "fd.wwxdev/log": false, "a/b.fd.ww.dev/x": false,
			} {
				if got := key.MatchString(ann) && val.MatchString("file:/x"); got != want {
					t.Errorf("%s: annotation %q matches %v, want %v", f, ann, got, want)
				}
			}
		}
	}
	if !slices.Equal(stages, []string{stageCreateRuntime, stagePoststop}) {
		t.Errorf("stages %q, want createRuntime and poststop", stages)
	}
}
