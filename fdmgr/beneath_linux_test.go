package fdmgr

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// beneathFixture makes a folder "in" beside files it must never reach:
//
//	secret          outside
//	outdir/f        outside
//	in/f            inside
//	in/sub/g        inside
//	in/link-in      -> f
//	in/link-out     -> ../secret
//	in/link-abs     -> ROOT/secret
//	in/link-abs-in  -> ROOT/in/f (absolute, though it points inside)
//	in/link-proc    -> /proc/self/root/ROOT/secret
//	in/dir-out      -> ../outdir
//	in/loop         -> loop
//
// and returns ROOT and ROOT/in.
func beneathFixture(t *testing.T) (root, folder string) {
	t.Helper()
	root = t.TempDir()
	folder = filepath.Join(root, "in")
	for _, d := range []string{"outdir", "in", "in/sub"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range map[string]string{"secret": "outside", "outdir/f": "outside", "in/f": "inside", "in/sub/g": "inside"} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for name, target := range map[string]string{
		"link-in": "f", "link-out": "../secret", "link-abs": filepath.Join(root, "secret"),
		"link-abs-in": filepath.Join(folder, "f"), "link-proc": "/proc/self/root" + filepath.Join(root, "secret"),
		"dir-out": "../outdir", "loop": "loop",
	} {
		if err := os.Symlink(target, filepath.Join(folder, name)); err != nil {
			t.Fatal(err)
		}
	}
	return root, folder
}

// inodeOf returns the inode that fd refers to.
func inodeOf(t *testing.T, fd int) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// TestResolveBeneath resolves paths beneath a folder with openat2 and
// with the walk for kernels without it: each reaches what it should, or
// fails with the error it should, and never a file outside the folder.
func TestResolveBeneath(t *testing.T) {
	root, folder := beneathFixture(t)
	outside, err := unix.Open(filepath.Join(root, "secret"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFD(outside)
	pid := strconv.Itoa(os.Getpid())
	tests := []struct {
		name, folder, rel string
		want              string // the file reached, absolute or relative to root; "" for an error
		openat2, walk     error  // the errors, when want is ""
	}{
		{"file, reached", folder, "f", "in/f", nil, nil},
		{"file in a subfolder, reached", folder, "sub/g", "in/sub/g", nil, nil},
		{"the folder, reached", folder, ".", "in", nil, nil},
		{"missing, ENOENT", folder, "missing", "", unix.ENOENT, unix.ENOENT},
		{"below a file, ENOTDIR", folder, "f/x", "", unix.ENOTDIR, unix.ENOTDIR},
		{".. out, escapes", folder, "../secret", "", unix.EXDEV, unix.EXDEV},
		{".. out after a subfolder, escapes", folder, "sub/../../secret", "", unix.EXDEV, unix.EXDEV},
		{".. out and back in, escapes", folder, "../in/f", "", unix.EXDEV, unix.EXDEV},
		{".. inside, reached by openat2 and refused by the walk", folder, "sub/../f", "in/f", nil, unix.EXDEV},
		{"symlink inside, followed by openat2 and refused by the walk", folder, "link-in", "in/f", nil, unix.ELOOP},
		{"relative symlink out, escapes", folder, "link-out", "", unix.EXDEV, unix.ELOOP},
		{"absolute symlink out, escapes", folder, "link-abs", "", unix.EXDEV, unix.ELOOP},
		{"absolute symlink back in, escapes", folder, "link-abs-in", "", unix.EXDEV, unix.ELOOP},
		{"symlink to /proc/self/root, escapes", folder, "link-proc", "", unix.EXDEV, unix.ELOOP},
		{"symlinked folder out, escapes", folder, "dir-out/f", "", unix.EXDEV, unix.ELOOP},
		{"symlink loop, ELOOP", folder, "loop", "", unix.ELOOP, unix.ELOOP},
		{"/proc/self, a plain symlink, followed by openat2", "/proc", "self/status", "/proc/" + pid + "/status", nil, unix.ELOOP},
		{"/proc/self/root magic link, ELOOP", "/proc", "self/root" + filepath.Join(root, "secret"), "", unix.ELOOP, unix.ELOOP},
		{"/proc/PID/root magic link, ELOOP", "/proc", pid + "/root" + filepath.Join(root, "secret"), "", unix.ELOOP, unix.ELOOP},
		{"/proc/PID/fd/N magic link, ELOOP", "/proc", pid + "/fd/" + strconv.Itoa(outside), "", unix.ELOOP, unix.ELOOP},
		{"/proc/PID/cwd magic link, ELOOP", "/proc/" + pid, "cwd", "", unix.ELOOP, unix.ELOOP},
	}
	resolvers := []struct {
		name    string
		resolve func(dir int, folder, rel string) (int, error)
		err     func(openat2, walk error) error
	}{
		{"openat2", func(dir int, folder, rel string) (int, error) {
			return openBeneath(dir, folder, rel, unix.O_PATH|unix.O_CLOEXEC, 0)
		}, func(openat2, _ error) error { return openat2 }},
		{"walk", func(dir int, _, rel string) (int, error) {
			return walkBeneath(dir, rel, unix.O_PATH|unix.O_CLOEXEC, 0)
		}, func(_, walk error) error { return walk }},
	}
	for _, r := range resolvers {
		for _, tc := range tests {
			t.Run(r.name+"/"+tc.name, func(t *testing.T) {
				dir, err := openFolder(tc.folder)
				if err != nil {
					t.Fatal(err)
				}
				defer closeFD(dir)
				fd, err := r.resolve(dir, tc.folder, tc.rel)
				if err == nil {
					defer closeFD(fd)
				}
				want := tc.want
				if want != "" && (r.name == "walk" && tc.walk != nil) {
					want = ""
				}
				if want == "" {
					if wantErr := r.err(tc.openat2, tc.walk); !errors.Is(err, wantErr) {
						t.Fatalf("resolve %q beneath %s: %v, want %v", tc.rel, tc.folder, err, wantErr)
					}
					return
				}
				if err != nil {
					t.Fatalf("resolve %q beneath %s: %v", tc.rel, tc.folder, err)
				}
				var st unix.Stat_t
				if !filepath.IsAbs(want) {
					want = filepath.Join(root, want)
				}
				if err := unix.Stat(want, &st); err != nil {
					t.Fatal(err)
				}
				if got := inodeOf(t, fd); got != st.Ino {
					t.Errorf("resolve %q reached inode %d, want %s (%d)", tc.rel, got, want, st.Ino)
				}
			})
		}
	}
}

// TestOpenBeneathErrors checks the words of openBeneath's errors.
func TestOpenBeneathErrors(t *testing.T) {
	_, folder := beneathFixture(t)
	dir, err := openFolder(folder)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFD(dir)
	tests := []struct{ name, rel, want string }{
		{".., escapes", "../secret", "escapes " + folder},
		{"symlink out, escapes", "link-out", "escapes " + folder},
		{"loop, a loop or a magic link", "loop", "too many levels of symbolic links (a loop, or a /proc magic link, which is never followed beneath " + folder + ")"},
		{"missing, ENOENT", "missing", "no such file or directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fd, err := openBeneath(dir, folder, tc.rel, unix.O_PATH|unix.O_CLOEXEC, 0)
			if err == nil {
				closeFD(fd)
			}
			if got := errText(err); got != tc.want {
				t.Fatalf("openBeneath(%q) = %q, want %q", tc.rel, got, tc.want)
			}
		})
	}
	_, err = walkBeneath(dir, "link-in", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if want := `too many levels of symbolic links: "link-in" is a symbolic link, which is not followed beneath a folder on a kernel without openat2`; errText(err) != want {
		t.Errorf("walk to a symlink: %v, want %q", err, want)
	}
}

// TestWalkBeneathCreates checks the walk's last element, opened with the
// caller's flags: a file is made inside, never through a symbolic link
// or above the folder.
func TestWalkBeneathCreates(t *testing.T) {
	root, folder := beneathFixture(t)
	dir, err := openFolder(folder)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFD(dir)
	const create = unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL | unix.O_CLOEXEC
	tests := []struct {
		name, rel string
		want      error
		made      string // the file that must now exist, relative to root
	}{
		{"new file, made", "new", nil, "in/new"},
		{"new file in a subfolder, made", "sub/new", nil, "in/sub/new"},
		{"over a symlink out, EEXIST", "link-out", unix.EEXIST, ""},
		{"above the folder, escapes", "../new", unix.EXDEV, ""},
		{"through a symlinked folder, refused", "dir-out/new", unix.ELOOP, ""},
		{"a folder, EISDIR", "sub/", unix.EISDIR, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fd, err := walkBeneath(dir, tc.rel, create, 0o600)
			if err == nil {
				closeFD(fd)
			}
			if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Fatalf("walk create %q: %v, want %v", tc.rel, err, tc.want)
			}
			if tc.made != "" {
				if _, err := os.Stat(filepath.Join(root, tc.made)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for _, p := range []string{"new", "outdir/new"} {
		if _, err := os.Lstat(filepath.Join(root, p)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s outside the folder: %v, want none", p, err)
		}
	}
	checkContent(t, filepath.Join(root, "secret"), "outside")
}
