package spec

import (
	"golang.org/x/sys/unix"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadConfigFileRefuses(t *testing.T) {
	dir := t.TempDir()
	zero := filepath.Join(dir, "zero.json")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.json")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxConfigSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	fifo := filepath.Join(dir, "fifo.json")
	if err := mkfifo(fifo); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, wantErr string
	}{
		{"link to /dev/zero: not a regular file", zero, "read " + zero + ": not a regular file"},
		{"a FIFO: refused at once, not waited on", fifo, "read " + fifo + ": not a regular file"},
		{"a folder: not a regular file", dir, "read " + dir + ": not a regular file"},
		{"over the limit: refused with its size", big, "read " + big + ": 8388609 bytes, more than the 8 MiB a config may have"},
		{"missing: open error", filepath.Join(dir, "none"), "open " + filepath.Join(dir, "none") + ": no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadConfigFile(tt.path)
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestReadRegularLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), ConfigName)
	if err := os.WriteFile(path, []byte(strings.Repeat(" ", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := readRegular(path, 99)
	if err == nil || err.Error() != "read "+path+": 100 bytes, more than the 99 bytes a config may have" {
		t.Errorf("error = %v", err)
	}
	data, mode, err := readRegular(path, 100)
	if err != nil || len(data) != 100 || mode != 0o644 {
		t.Errorf("read %d bytes, mode %v, error %v; want 100, 0644, nil", len(data), mode, err)
	}
}

func mkfifo(path string) error { return unix.Mkfifo(path, 0o644) }
