package policy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

var auditTime = time.Date(2025, 3, 1, 12, 0, 0, 5, time.FixedZone("CET", 3600))

func TestAuditLine(t *testing.T) {
	p := mustDecode(t, examplePath, examplePolicy)
	c := ContainerOf("abc123", map[string]string{CRINamespaceAnnotation: "shop", CRIPodNameAnnotation: "web-1"}, ownNet)
	d := p.Decide(c, Request{Key: "fd.ww.dev/db", Source: "file:/etc/shadow"})
	got := string(AuditLine(auditTime, c, d))
	want := `{"time":"2025-03-01T11:00:00.000000005Z","container":"abc123","namespace":"shop","pod":"web-1",` +
		`"key":"fd.ww.dev/db","source":"file:/etc/shadow","verdict":"refused",` +
		`"reason":"not allowed for namespace \"shop\" by node policy /etc/ww/policy.yaml"}` + "\n"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	d = p.Decide(c, Request{Key: "fd.ww.dev/pg", Source: "node:pg"})
	if line := string(AuditLine(auditTime, c, d)); !strings.Contains(line, `"verdict":"granted","reason":"resource \"pg\"`) {
		t.Errorf("grant: %s", line)
	}
}

// TestAuditLineBounded feeds the longest and oddest values: one line,
// valid JSON, at most MaxAuditLine bytes.
func TestAuditLineBounded(t *testing.T) {
	tests := []struct {
		name  string
		value string
	}{
		{"1 MiB of letters, cut", strings.Repeat("a", 1<<20)},
		{"1 MiB of control characters, escaped and cut", strings.Repeat("\x01", 1<<20)},
		{"1 MiB of newlines, escaped and cut", strings.Repeat("\n", 1<<20)},
		{"invalid UTF-8, replaced and cut", strings.Repeat("\xff", 1<<20)},
		{"4-byte runes, cut whole", strings.Repeat("😀", 1<<18)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Container{Namespace: tt.value, ID: tt.value, PodName: tt.value}
			d := Decision{Key: tt.value, Source: tt.value, Namespace: tt.value, Reason: tt.value + tt.value}
			line := AuditLine(auditTime, c, d)
			if len(line) > MaxAuditLine {
				t.Errorf("line is %d bytes, more than %d", len(line), MaxAuditLine)
			}
			if strings.Count(string(line), "\n") != 1 || line[len(line)-1] != '\n' {
				t.Error("not one line")
			}
			var rec map[string]string
			if err := json.Unmarshal(line, &rec); err != nil {
				t.Fatal(err)
			}
			if len(rec) != 8 || rec["verdict"] != "refused" || !strings.HasSuffix(rec["source"], "…") {
				t.Errorf("record %v", rec)
			}
		})
	}
}

func TestAuditFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	p := mustDecode(t, examplePath, examplePolicy)
	c := Container{Namespace: Local, ID: "c1", Network: ownNet}
	for i, src := range []string{"listen:tcp::80", "file:/etc/shadow"} {
		a, err := OpenAudit(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Record(auditTime.Add(time.Duration(i)), c, p.Decide(c, Request{Key: "fd.ww.dev/x", Source: src})); err != nil {
			t.Fatal(err)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"granted"`) || !strings.Contains(lines[1], `"refused"`) {
		t.Errorf("audit file:\n%s", data)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		t.Errorf("audit file mode %v, readable by others", st.Mode())
	}
}

func TestOpenAuditErrors(t *testing.T) {
	tests := []struct {
		name    string
		path    func(t *testing.T) string
		wantErr string
	}{
		{"symbolic link, error", func(t *testing.T) string {
			dir := t.TempDir()
			link := filepath.Join(dir, "audit.jsonl")
			if err := os.Symlink(filepath.Join(dir, "elsewhere"), link); err != nil {
				t.Fatal(err)
			}
			return link
		}, "is a symbolic link; name the file itself"},
		{"FIFO, error", func(t *testing.T) string {
			path := filepath.Join(t.TempDir(), "audit.jsonl")
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Fatal(err)
			}
			return path
		}, "no such device or address"},
		{"folder, error", func(t *testing.T) string { return t.TempDir() }, "is a directory"},
		{"missing folder, error", func(t *testing.T) string { return filepath.Join(t.TempDir(), "none", "a") }, "no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path(t)
			a, err := OpenAudit(path)
			if err == nil {
				a.Close()
				t.Fatalf("opened %s", path)
			}
			if want := "audit " + path + ": " + tt.wantErr; err.Error() != want {
				t.Errorf("got  %v\nwant %s", err, want)
			}
		})
	}
}
