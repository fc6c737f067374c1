package main

import (
	"bytes"
	"math/rand/v2"
	"os"
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
// container is deleted as an engine deletes it (through ww runtime),
// nothing of it remains: no file ww made, whatever the signal (a socket
// file always goes; a create= file stays only with a container that was
// created, which may have written it), no record; a file that was there
// before stays. After SIGTERM, a create that did not finish leaves no file
// ww made even before the delete.
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
			pre := filepath.Join(sockDir, "pre.log")
			if err := os.WriteFile(pre, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			bundle := annotated(t, []string{"fds"}, map[string]string{
				"fd.ww.dev/s":   "listen:unix:" + sock,
				"fd.ww.dev/log": "file:" + made + "?mode=a&create=0600",
				"fd.ww.dev/pre": "file:" + pre + "?mode=a&create=0600",
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
				case newer == nil && bytes.Contains(cfg, []byte("WW_FD_LOG=3")) && bytes.Contains(cfg, []byte("WW_FD_PRE=4")):
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
				var recs []byte
				for _, r := range recordFiles(t, id+"@") {
					b, _ := os.ReadFile(filepath.Join(stateDir, r))
					recs = append(recs, b...)
				}
				s.run("delete", "--force", id)
				if _, code := s.run("state", id); code == 0 {
					t.Fatalf("run %d: container %s outlived its delete", i, id)
				}
				if _, err := os.Lstat(sock); err == nil {
					t.Fatalf("run %d: socket file %s outlived the delete", i, sock)
				}
				if _, err := os.Lstat(made); err == nil && !created {
					b, _ := os.ReadFile(s.log)
					t.Fatalf("run %d: %s, made for a container that never was, outlived the delete; state %q; log %s; records before it: %s", i, made, st, lastLines(b, 4), recs)
				}
				if _, err := os.Lstat(pre); err != nil {
					t.Fatalf("run %d: %s, there before, is gone: %v", i, pre, err)
				}
				if left := recordFiles(t, id+"@"); len(left) > 0 {
					t.Fatalf("run %d: records %q outlived the delete", i, left)
				}
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
			// Deleted through ww runtime, so that its record goes with it:
			// a record left behind names made.log's inode, which ext4
			// gives the next new file, and a later test's cleanup would
			// take that file for this container's (claimed) and keep it.
			if _, code := s.run("delete", "--force", id); code != 0 {
				t.Errorf("delete of the last container: exit %d", code)
			}
			if left := recordFiles(t, id+"@"); len(left) > 0 {
				t.Errorf("records %q outlived the last delete", left)
			}
		})
	}
}

// recordFiles lists the files in the tests' records folder that name
// a container whose ID contains stem, temporary ones too.
func recordFiles(t *testing.T, stem string) []string {
	t.Helper()
	entries, err := os.ReadDir(stateDir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.Contains(e.Name(), stem) {
			names = append(names, e.Name())
		}
	}
	return names
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
