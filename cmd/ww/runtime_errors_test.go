package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ww-dev/ww/fdmgr"
)

// TestRuntimeErrors checks that a bad request is a JSON log line in the
// caller's --log, a failing status, nothing on stdout, no call of the
// lower runtime and the config untouched. Every case is refused before
// the lower runtime would run, so a fake one stands in for runc.
func TestRuntimeErrors(t *testing.T) {
	tests := []struct {
		name string
		ann  map[string]string
		want []string // what the log line must name
	}{
		{"fd number in annotation, refused", map[string]string{"fd.ww.dev/db": "3"},
			[]string{`fd.ww.dev/db`, `"3"`, "fd number"}},
		{"bad name, refused", map[string]string{"fd.ww.dev/9x": "node:null"},
			[]string{`fd.ww.dev/9x`, "must start with"}},
		{"file missing, refused", map[string]string{"fd.ww.dev/db": "file:/tmp/ww-nonexistent/x"},
			[]string{`fd.ww.dev/db`, "file:/tmp/ww-nonexistent/x", "no such file"}},
		{"no known kind, refused", map[string]string{"fd.ww.dev/db": "bogus"},
			[]string{`fd.ww.dev/db`, `"bogus"`, "no known kind: want " + strings.Replace(fdmgr.PrefixList(fdmgr.OpenedKinds()), " or ", ", ", 1) + ` or "node:"`}},
		{"bad systemd option, refused", map[string]string{"fd.ww.dev/db": "node:null", "options.ww.dev/systemd": "yes"},
			[]string{`options.ww.dev/systemd`, `"yes"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lower := newFakeLower(t, 0)
			r := newRuntimeCall(t, lower)
			bundle := fakeBundle(t, tc.ann, []string{"PATH=/bin"})
			config, err := os.ReadFile(filepath.Join(bundle, "config.json"))
			if err != nil {
				t.Fatal(err)
			}
			out, code := r.run(t, "create", "--bundle", bundle, "refused")
			if code == 0 || out != "" {
				t.Errorf("exit %d, stdout %q; want a failure and nothing", code, out)
			}
			msg := r.logLine(t)
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("log message %q does not name %s", msg, w)
				}
			}
			if n := len(lower.calls(t)); n != 0 {
				t.Errorf("the lower runtime was called %d times", n)
			}
			if after, err := os.ReadFile(filepath.Join(bundle, "config.json")); err != nil || !bytes.Equal(config, after) {
				t.Errorf("config.json was changed (%v)", err)
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

// TestRuntimeRun runs a container in the foreground with "run", which ww
// edits as it edits "create": the process gets its fd and name.
func TestRuntimeRun(t *testing.T) {
	requireRunc(t)
	s := newShim(t, wwBin)
	bundle := annotated(t, []string{"fds"}, map[string]string{"fd.ww.dev/db": "node:null"})
	out, code := s.run("run", "--bundle", bundle, "ww-rt-run")
	if code != 0 {
		b, _ := os.ReadFile(s.log)
		t.Fatalf("run: exit %d; log %s", code, b)
	}
	r := parseReport(t, out)
	if !slices.Equal(r.wwVars(), []string{"WW_FD_DB=3"}) || r.FDs[3] != "/dev/null" || len(r.FDs) != 4 {
		t.Errorf("WW_FD_* %q, fds %v; want /dev/null at 3 named db, nothing else", r.wwVars(), r.FDs)
	}
	if _, code := s.run("state", "ww-rt-run"); code == 0 {
		t.Errorf("the container outlived run")
	}
}
