package main

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/ww-dev/ww/fdmgr"
	"github.com/ww-dev/ww/spec"
)

func TestParseRequest(t *testing.T) {
	tests := []struct {
		name      string
		config    string
		wantFDs   []string // names
		wantEdits bool
	}{
		{"no annotations: no edit", `{"process":{"env":["A=1"]}}`, nil, false},
		{"fd annotation: edit", `{"annotations":{"fd.ww.dev/db":"file:/x"},"process":{}}`, []string{"db"}, true},
		{"WW_FD_* left, nothing asked: edit to remove it", `{"process":{"env":["WW_FD_DB=3"]}}`, nil, true},
		{"LISTEN_* alone: the user's, no edit", `{"process":{"env":["LISTEN_FDS=1"]}}`, nil, false},
		{"sandbox with fd annotation: no edit", `{"annotations":{"io.kubernetes.cri.container-type":"sandbox","fd.ww.dev/db":"file:/x"}}`, nil, false},
		{"other container's key: no edit", `{"annotations":{"io.kubernetes.cri.container-name":"a","b.fd.ww.dev/db":"file:/x"}}`, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseRequest("config.json", []byte(tt.config))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, r := range c.reqs.FDs {
				names = append(names, r.Name)
			}
			if !slices.Equal(names, tt.wantFDs) || c.edits() != tt.wantEdits {
				t.Errorf("fds %q, edits %v; want %q, %v", names, c.edits(), tt.wantFDs, tt.wantEdits)
			}
		})
	}
}

func TestParseRequestErrors(t *testing.T) {
	tests := []struct {
		name, config, wantErr string
	}{
		{"annotations twice: refused", `{"annotations":{},"annotations":{}}`, `load config "config.json": config has the key "annotations" twice`},
		{"not JSON: refused", `{`, `load config "config.json": unexpected EOF`},
		{"fd number: refused", `{"annotations":{"fd.ww.dev/db":"3"}}`, `annotation "fd.ww.dev/db": "3": an fd number means nothing in an annotation; name a file or socket`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseRequest("config.json", []byte(tt.config))
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestCheckFDLimit(t *testing.T) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	cur := int(lim.Cur)
	tests := []struct {
		name    string
		caller  callerFDs
		n       int
		wantErr string
	}{
		{"few fds: fit", callerFDs{preserve: 2}, 2, ""},
		{"caller past the limit: names --preserve-fds", callerFDs{preserve: cur}, 1, "--preserve-fds " + itoa(cur) + ": the caller's fds would end at fd " + itoa(cur+2) + ", and ww needs 3 more and one per fd it adds: past the fd limit " + itoa(cur)},
		{"ww's fds past the limit: names the annotations", callerFDs{}, cur, "annotations ask for " + itoa(cur) + " fds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkFDLimit(tt.caller, tt.n)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("error = %v", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want prefix %q", err, tt.wantErr)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestCheckOptions(t *testing.T) {
	own := &specs.Spec{Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: specs.PIDNamespace}}}}
	shared := &specs.Spec{Linux: &specs.Linux{}}
	systemd := spec.Requests{FDs: []spec.FDRequest{{Name: "a", Source: "file:/x", Key: "fd.ww.dev/a"}}, Options: spec.Options{Systemd: true}}
	tests := []struct {
		name    string
		reqs    spec.Requests
		caller  callerFDs
		s       *specs.Spec
		wantErr string
	}{
		{"systemd, own pid namespace: fine", systemd, callerFDs{}, own, ""},
		{"no systemd, shared pid namespace: fine", spec.Requests{FDs: systemd.FDs}, callerFDs{}, shared, ""},
		{"systemd, caller's fds at 3: refused", systemd, callerFDs{preserve: 1}, own,
			`annotation "options.ww.dev/systemd": the caller already passes fds at 3 to 3, and socket activation needs the named fds there`},
		{"systemd, host pid namespace: refused", systemd, callerFDs{}, shared,
			`annotation "options.ww.dev/systemd": the container shares the host's pid namespace, so LISTEN_PID cannot be known before it starts`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkOptions(&createRequest{reqs: tt.reqs}, tt.caller, tt.s)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Errorf("error = %q, want %q", got, tt.wantErr)
			}
		})
	}
}

// TestConfigEdits: the spec before, the edits for a create, the spec
// after.
func TestConfigEdits(t *testing.T) {
	tests := []struct {
		name   string
		config string
		caller callerFDs
		before []string
		after  []string
	}{
		{"one fd: WW_FD_* set, old ones and LISTEN_* gone",
			`{"annotations":{"fd.ww.dev/db":"node:null"}}`, callerFDs{},
			[]string{"A=1", "WW_FD_OLD=7", "LISTEN_FDS=2", "LISTEN_PID=1"},
			[]string{"A=1", "WW_FD_DB=3"}},
		{"systemd: LISTEN_* for ww's fds",
			`{"annotations":{"fd.ww.dev/db":"node:null","options.ww.dev/systemd":"true"}}`, callerFDs{},
			[]string{"A=1"},
			[]string{"A=1", "WW_FD_DB=3", "LISTEN_FDS=1", "LISTEN_FDNAMES=db", "LISTEN_PID=1"}},
		{"caller's socket activation: LISTEN_* for its fds, ww's after",
			`{"annotations":{"fd.ww.dev/db":"node:null"}}`, callerFDs{listen: 2, preserve: 1},
			[]string{"A=1"},
			[]string{"A=1", "WW_FD_DB=6", "LISTEN_FDS=2", "LISTEN_PID=1"}},
		{"nothing asked, stale variables: all gone",
			`{}`, callerFDs{},
			[]string{"WW_FD_DB=3", "A=1", "LISTEN_FDNAMES=db"},
			[]string{"A=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseRequest("config.json", []byte(tt.config))
			if err != nil {
				t.Fatal(err)
			}
			m, err := planFDs(testGrants(t, c), tt.caller)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.PrepareFDs(); err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			mods, err := configEdits(m, c, tt.caller)
			if err != nil {
				t.Fatal(err)
			}
			s := &specs.Spec{Process: &specs.Process{Env: slices.Clone(tt.before)}}
			if err := spec.Apply(s, mods...); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.Process.Env, tt.after) {
				t.Errorf("env %q, want %q", s.Process.Env, tt.after)
			}
		})
	}
}

// TestLowerFiles: the caller's fds pass at their numbers, numbers it did
// not pass are closed, ww's own (close-on-exec) never pass, and ww's fds
// sit at their targets, their copies above the table.
func TestLowerFiles(t *testing.T) {
	// Three fds as a caller passes them, without close-on-exec, and one
	// of ww's own.
	var fds [3]int
	for i := range fds {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fds[i] = fd
		defer unix.Close(fd)
	}
	own, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(own)
	caller := callerFDs{preserve: max(fds[2], own) - 2}
	c, err := parseRequest("config.json", []byte(`{"annotations":{"fd.ww.dev/db":"node:null"}}`))
	if err != nil {
		t.Fatal(err)
	}
	m, err := planFDs(testGrants(t, c), caller)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.PrepareFDs(); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	files, err := lowerFiles(m, caller)
	if err != nil {
		t.Fatal(err)
	}
	first := caller.first()
	if len(files) != first+1 {
		t.Fatalf("%d files, want %d", len(files), first+1)
	}
	for _, fd := range fds {
		if files[fd] != uintptr(fd) {
			t.Errorf("caller's fd %d passed as %d", fd, int(files[fd]))
		}
	}
	if files[own] != ^uintptr(0) {
		t.Errorf("ww's own fd %d passed as %d, want closed", own, int(files[own]))
	}
	if dup := int(files[first]); dup < len(files) {
		t.Errorf("ww's copy at %d sits in the table (%d fds): the fork would move it over a caller's fd", dup, len(files))
	}
}

func TestLockBundle(t *testing.T) {
	dir := t.TempDir()
	unlock, err := lockBundle(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks are per open file: a second open of the folder waits,
	// and gets the lock as soon as the first lets go.
	go func() {
		time.Sleep(50 * time.Millisecond)
		unlock()
	}()
	start := time.Now()
	unlock2, err := lockBundle(dir, 5*time.Second)
	if err != nil {
		t.Fatalf("second lock: %v", err)
	}
	if d := time.Since(start); d < 50*time.Millisecond || d > time.Second {
		t.Errorf("second lock took %v, want about 50ms", d)
	}
	// A wait that is over gives up with a message; its thread stays
	// blocked, as ww then exits.
	start = time.Now()
	_, err = lockBundle(dir, 100*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "another create or run of it holds the bundle") {
		t.Errorf("third lock: %v", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > 2*time.Second {
		t.Errorf("third lock gave up after %v, want about 100ms", d)
	}
	unlock2()
	// A second unlock closes nothing: not an fd opened since.
	other, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(other)
	unlock2()
	if _, err := unix.FcntlInt(uintptr(other), unix.F_GETFD, 0); err != nil {
		t.Errorf("a second unlock closed fd %d: %v", other, err)
	}
	if _, err := lockBundle(filepath.Join(dir, "none"), time.Second); err == nil || !errors.Is(err, unix.ENOENT) {
		t.Errorf("lock of a missing bundle: %v", err)
	}
}

func TestCheckNoLoop(t *testing.T) {
	t.Setenv(loopEnv, "/usr/bin/wrapper")
	err := checkNoLoop()
	if err == nil || !strings.Contains(err.Error(), `lower runtime "/usr/bin/wrapper"`) {
		t.Errorf("error = %v", err)
	}
	os.Unsetenv(loopEnv)
	if err := checkNoLoop(); err != nil {
		t.Errorf("without the mark: %v", err)
	}
}

// testGrants judges c's requests by the tests' node policy.
func testGrants(t *testing.T, c *createRequest) []grant {
	t.Helper()
	g, err := newPolicyGate(os.Environ(), "test", c, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer g.close()
	grants, err := judgeAll(g, c)
	if err != nil {
		t.Fatal(err)
	}
	return grants
}

// refuseGate refuses one name and grants the others as written, as a
// node policy would.
type refuseGate struct{ name string }

func (g refuseGate) decide(r spec.FDRequest) (fdmgr.Source, error) {
	if r.Name == g.name {
		return fdmgr.Source{}, errors.New("annotation " + r.Key + ": refused")
	}
	return fdmgr.ParseSource(r.Source)
}

func TestJudgeAll(t *testing.T) {
	c, err := parseRequest("config.json", []byte(`{"annotations":{"fd.ww.dev/a":"file:/x","fd.ww.dev/b":"file:/y"}}`))
	if err != nil {
		t.Fatal(err)
	}
	grants, err := judgeAll(refuseGate{"c"}, c)
	if err != nil || len(grants) != 2 || grants[1].Name != "b" || grants[1].open.Path != "/y" {
		t.Errorf("grants %+v, error %v; want a and b, b opening /y", grants, err)
	}
	if _, err := judgeAll(refuseGate{"b"}, c); err == nil || err.Error() != "annotation fd.ww.dev/b: refused" {
		t.Errorf("refusing gate: %v", err)
	}
}
