package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRuntimeKilledCreate kills ww runtime create with SIGTERM and with
// SIGKILL at random moments, with real runc: config.json is always the
// old or the new version, no temporary file is left, and once the
// container is deleted as an engine deletes it, nothing of it remains.
// After SIGTERM, a create that did not finish leaves no file ww made.
func TestRuntimeKilledCreate(t *testing.T) {
	requireRunc(t)
	runs := 200
	if testing.Short() {
		runs = 20
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			s := newShim(t, wwBin)
			sockDir := t.TempDir()
			sock := filepath.Join(sockDir, "s.sock")
			made := filepath.Join(sockDir, "made.log")
			bundle := annotated(t, []string{"fds"}, map[string]string{
				"fd.ww.dev/s":   "listen:unix:" + sock,
				"fd.ww.dev/log": "file:" + made + "?mode=a&create=0600",
			})
			path := filepath.Join(bundle, "config.json")
			old, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var newer []byte
			killed := 0
			for i := range runs {
				id := "ww-kill-" + strconv.Itoa(os.Getpid()) + "-" + strconv.Itoa(i)
				cmd := s.cmd("create", "--bundle", bundle, "--pid-file", filepath.Join(bundle, "init.pid"), id)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Duration(rand.IntN(40_000)) * time.Microsecond)
				cmd.Process.Signal(sig)
				err := cmd.Wait()
				if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && (ws.Signaled() || ws.ExitStatus() > 128) {
					killed++
				}
				_ = err
				st, code := s.run("state", id)
				created := code == 0 && strings.Contains(st, `"created"`)
				cfg, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case bytes.Equal(cfg, old):
				case newer == nil && bytes.Contains(cfg, []byte("WW_FD_LOG=3")):
					newer = cfg
				case bytes.Equal(cfg, newer):
				default:
					t.Fatalf("run %d: config.json is neither the old nor the new version:\n%s", i, cfg)
				}
				// A kill between linking the new config and renaming it
				// over the old one leaves it under a temporary name, until
				// the next create of the bundle: never more than one.
				if temps := tempFilesIn(t, bundle); len(temps) > 1 || (len(temps) == 1 && sig != syscall.SIGKILL) {
					t.Fatalf("run %d: %q left in the bundle", i, temps)
				}
				if sig == syscall.SIGTERM && !created {
					for _, p := range []string{sock, made} {
						if _, err := os.Lstat(p); err == nil {
							t.Fatalf("run %d: %s left by a create that did not finish", i, p)
						}
					}
				}
				exec.Command("runc", "--root", s.root, "delete", "--force", id).Run()
				if _, code := s.run("state", id); code == 0 {
					t.Fatalf("run %d: container %s outlived its delete", i, id)
				}
				os.Remove(sock)
				os.Remove(made)
			}
			t.Logf("%d of %d creates ended by %v", killed, runs, sig)
			// The next create of the bundle removes what a kill left.
			// runc killed while writing its pid file leaves its own
			// temporary one, which it then refuses to write over.
			os.Remove(filepath.Join(bundle, ".init.pid"))
			id := "ww-kill-" + strconv.Itoa(os.Getpid()) + "-last"
			if out, code := s.create(id, bundle, nil); code != 0 {
				b, _ := os.ReadFile(s.log)
				o, _ := os.ReadFile(out)
				t.Fatalf("last create: exit %d: %s; log: %s", code, o, lastLines(b, 3))
			}
			if temps := tempFilesIn(t, bundle); len(temps) > 0 {
				t.Errorf("%q left in the bundle after a create that ran to its end", temps)
			}
		})
	}
}

// tempFilesIn lists the temporary config files in a bundle.
func tempFilesIn(t *testing.T, bundle string) []string {
	t.Helper()
	entries, err := os.ReadDir(bundle)
	if err != nil {
		t.Fatal(err)
	}
	var temps []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".config.json") {
			temps = append(temps, e.Name())
		}
	}
	return temps
}

// lastLines is the last n lines of a log.
func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
