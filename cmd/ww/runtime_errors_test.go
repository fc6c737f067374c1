package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRuntimeErrors checks that a bad request is a JSON log line in the
// caller's --log, a failing status, nothing on stdout and no container.
func TestRuntimeErrors(t *testing.T) {
	requireRunc(t)
	tests := []struct {
		name string
		ann  map[string]string
		want string
	}{
		{"fd number in annotation, refused", map[string]string{"fd.ww.dev/db": "3"}, `fd.ww.dev/db`},
		{"bad name, refused", map[string]string{"fd.ww.dev/9x": "file:/dev/null"}, `fd.ww.dev/9x`},
		{"file missing, refused", map[string]string{"fd.ww.dev/db": "file:/nonexistent/x"}, `no such file`},
		{"bad systemd option, refused", map[string]string{"fd.ww.dev/db": "file:/dev/null", "options.ww.dev/systemd": "yes"}, `options.ww.dev/systemd`},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newShim(t, wwBin)
			bundle := annotated(t, []string{"fds"}, tc.ann)
			config, _ := os.ReadFile(filepath.Join(bundle, "config.json"))
			id := "ww-rt-err-" + strconv.Itoa(i)
			out, code := s.create(id, bundle, nil)
			if code == 0 {
				t.Fatalf("create succeeded")
			}
			if b, _ := os.ReadFile(out); len(b) != 0 {
				t.Errorf("output %q, want none", b)
			}
			var line struct{ Level, Msg, Time string }
			b, _ := os.ReadFile(s.log)
			if err := json.Unmarshal(bytes.TrimSpace(b), &line); err != nil || line.Level != "error" ||
				!strings.Contains(line.Msg, tc.want) || line.Time == "" {
				t.Errorf("log %q (%v), want one JSON error line naming %s", b, err, tc.want)
			}
			if _, code := s.run("state", id); code == 0 {
				t.Errorf("a container was created")
			}
			if after, _ := os.ReadFile(filepath.Join(bundle, "config.json")); !bytes.Equal(config, after) {
				t.Errorf("config.json was changed")
			}
		})
	}
}

// TestRuntimeLowerMissing checks that a lower runtime that cannot be
// found is a JSON error line in the caller's --log.
func TestRuntimeLowerMissing(t *testing.T) {
	requireRunc(t)
	s := newShim(t, wwBin)
	s.env = append(cleanEnv(), "WW_LOWER_RUNTIME=ww-no-such-runtime")
	bundle := annotated(t, []string{"fds"}, nil)
	if _, code := s.create("ww-rt-nolower", bundle, nil); code == 0 {
		t.Fatal("create succeeded without a lower runtime")
	}
	var line struct{ Level, Msg string }
	b, _ := os.ReadFile(s.log)
	if err := json.Unmarshal(bytes.TrimSpace(b), &line); err != nil || line.Level != "error" ||
		!strings.Contains(line.Msg, `"ww-no-such-runtime"`) || !strings.Contains(line.Msg, "WW_LOWER_RUNTIME") {
		t.Errorf("log %q (%v), want a JSON error naming the runtime and WW_LOWER_RUNTIME", b, err)
	}
}
