package fdmgr

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// raceCase is a path exchanged, from another goroutine, with a symbolic
// link that points out of the folder, while a source is opened beneath the
// folder again and again.
type raceCase struct {
	name   string
	text   string // the source, with ROOT for beneathFixture's root
	swap   string // the path exchanged with a symlink, relative to the folder
	target string // where the symlink points
}

func raceCases() []raceCase {
	return []raceCase{
		{"file exchanged with a symlink out, never outside", "file:ROOT/in/f", "f", "../secret"},
		{"folder exchanged with a symlink out, never outside", "file:ROOT/in/sub/g", "sub", "../outdir"},
		{"socket exchanged with a symlink out, never outside", "unix:ROOT/in/s", "s", "../out.sock"},
		{"listen in a folder exchanged with a symlink out, never outside", "listen:unix:ROOT/in/sub/x.sock", "sub", "../outdir"},
	}
}

// TestOpenBeneathRace runs the raceCases: each open reaches what is inside
// or fails, and never reaches what is outside.
func TestOpenBeneathRace(t *testing.T) {
	for _, tc := range raceCases() {
		t.Run(tc.name, func(t *testing.T) { raceBeneath(t, tc) })
	}
}

// raceBeneath runs one raceCase.
func raceBeneath(t *testing.T, tc raceCase) {
	t.Helper()
	root, folder := beneathFixture(t)
	if err := os.WriteFile(filepath.Join(root, "outdir", "g"), []byte("outside"), 0o600); err != nil {
		t.Fatal(err)
	}
	in := rawListener(t, unix.AF_UNIX, &unix.SockaddrUnix{Name: filepath.Join(folder, "s")}, 4096)
	accepted := make(chan struct{})
	go func() { // until the shutdown below
		defer close(accepted)
		for {
			nfd, _, err := unix.Accept4(in, unix.SOCK_CLOEXEC)
			if err != nil {
				return
			}
			closeFD(nfd)
		}
	}()
	out := rawListener(t, unix.AF_UNIX, &unix.SockaddrUnix{Name: filepath.Join(root, "out.sock")}, 4096)
	if err := os.Symlink(tc.target, filepath.Join(folder, "swap")); err != nil {
		t.Fatal(err)
	}
	s := confined(t, strings.ReplaceAll(tc.text, "ROOT", root), folder)
	stop := make(chan struct{})
	swapped := make(chan error, 1)
	go func() { swapped <- exchangeLoop(filepath.Join(folder, tc.swap), filepath.Join(folder, "swap"), stop) }()
	opened, refused := 0, 0
	start := time.Now()
	for since := time.Duration(0); since < time.Second || (opened == 0 || refused == 0) && since < 10*time.Second; since = time.Since(start) {
		fd, err := open(s)
		if err != nil {
			refused++
			continue
		}
		opened++
		if s.Kind == SourceFile {
			buf := make([]byte, 16)
			n, _ := unix.Read(fd, buf)
			if got := string(buf[:n]); got != "inside" {
				closeFD(fd)
				t.Errorf("open %q read %q", s.Text, got)
				break
			}
		}
		closeFD(fd)
	}
	close(stop)
	if err := <-swapped; err != nil {
		t.Fatal(err)
	}
	unix.Shutdown(in, unix.SHUT_RDWR)
	<-accepted
	if err := unix.SetNonblock(out, true); err != nil {
		t.Fatal(err)
	}
	if nfd, _, err := unix.Accept4(out, unix.SOCK_CLOEXEC); err == nil {
		closeFD(nfd)
		t.Errorf("connect %q reached the listener outside", s.Text)
	}
	if entries, err := os.ReadDir(filepath.Join(root, "outdir")); err != nil || names(entries) != "f g" {
		t.Errorf("outdir holds %s, %v; want f g", names(entries), err)
	}
	t.Logf("%d opens inside, %d refused", opened, refused)
	if opened == 0 || refused == 0 {
		t.Errorf("no race: %d opens inside, %d refused", opened, refused)
	}
}

// exchangeLoop exchanges the files at a and b, atomically, until stop is
// closed.
func exchangeLoop(a, b string, stop <-chan struct{}) error {
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		if err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE); err != nil {
			return fmt.Errorf("exchange %s and %s: %w", a, b, err)
		}
	}
}
