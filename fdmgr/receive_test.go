package fdmgr

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// testPID stands for this process's id in environments given to
// parseReceived, which touches no fd.
const testPID = 4242

// layout writes the fds of r as "fd:name ...", with nothing after the
// colon for an fd without a name.
func layout(r *Received) string {
	var parts []string
	for _, f := range r.fds {
		parts = append(parts, fmt.Sprintf("%d:%s", f.fd, f.name))
	}
	return strings.Join(parts, " ")
}

func TestReceiveParse(t *testing.T) {
	sd := func(count, names string) []string {
		env := []string{"LISTEN_PID=4242", "LISTEN_FDS=" + count}
		if names != "-" {
			env = append(env, "LISTEN_FDNAMES="+names)
		}
		return env
	}
	tests := []struct {
		name    string
		environ []string
		want    string
		systemd bool
		wantErr string
	}{
		{name: "WW_FD_DB=3, db at 3", environ: []string{"PATH=/bin", "WW_FD_DB=3"}, want: "3:db"},
		{name: "WW_FD vars out of fd order, sorted by fd", environ: []string{"WW_FD_B=7", "WW_FD_CACHE_X=5", "WW_FD_A=9"}, want: "5:cache_x 7:b 9:a"},
		{name: "WW_FD_DB twice with one value, one fd", environ: []string{"WW_FD_DB=3", "WW_FD_DB=3"}, want: "3:db"},
		{name: "no fd variables, no fds", environ: []string{"HOME=/root", "WW_FDX=3"}, want: ""},
		{name: "LISTEN_PID ours with LISTEN_FDNAMES, systemd names", environ: sd("2", "http:cache-x"), want: "3:http 4:cache-x", systemd: true},
		{name: "LISTEN_PID ours without LISTEN_FDNAMES, unnamed fds", environ: sd("2", "-"), want: "3: 4:", systemd: true},
		{name: "LISTEN_FDS=0 with empty LISTEN_FDNAMES, no fds", environ: sd("0", ""), want: "", systemd: true},
		{name: "LISTEN_PID of another process, systemd vars ignored", environ: []string{"LISTEN_PID=1", "LISTEN_FDS=2", "LISTEN_FDNAMES=a:b"}, want: ""},
		{name: "LISTEN_PID of another process and LISTEN_FDS=x, ignored", environ: []string{"LISTEN_PID=1", "LISTEN_FDS=x"}, want: ""},
		{name: "LISTEN_FDS without LISTEN_PID, ignored", environ: []string{"LISTEN_FDS=2"}, want: ""},
		{name: "LISTEN_PID ours without LISTEN_FDS, no fds", environ: []string{"LISTEN_PID=4242"}, want: ""},
		{name: "WW_FD and LISTEN_FDNAMES agree, one fd under the systemd name", environ: append(sd("1", "cache-x"), "WW_FD_CACHE_X=3"), want: "3:cache-x", systemd: true},
		{name: "WW_FD on an unnamed systemd fd, named", environ: append(sd("2", "-"), "WW_FD_DB=4"), want: "3: 4:db", systemd: true},
		{name: "WW_FD past the systemd fds, both kept", environ: append(sd("1", "http"), "WW_FD_DB=7"), want: "3:http 7:db", systemd: true},
		{name: "LISTEN_FDNAMES with one name for two fds, both kept", environ: sd("2", "web.socket:web.socket"), want: "3:web.socket 4:web.socket", systemd: true},

		{name: "WW_FD_DB=x, not a number", environ: []string{"WW_FD_DB=x"}, wantErr: `WW_FD_DB="x": fd is not a number`},
		{name: "WW_FD_DB empty, not a number", environ: []string{"WW_FD_DB="}, wantErr: `WW_FD_DB="": fd is not a number`},
		{name: "WW_FD_DB=+3, not a number", environ: []string{"WW_FD_DB=+3"}, wantErr: `WW_FD_DB="+3": fd is not a number`},
		{name: "WW_FD_DB=99999999999, out of range", environ: []string{"WW_FD_DB=99999999999"}, wantErr: `WW_FD_DB="99999999999": fd is out of range`},
		{name: "WW_FD_DB=2, a standard stream", environ: []string{"WW_FD_DB=2"}, wantErr: `WW_FD_DB="2": fd 2 is a standard stream, named fds start at 3`},
		{name: "WW_FD_=3, empty name", environ: []string{"WW_FD_=3"}, wantErr: `WW_FD_="3": name is empty`},
		{name: "WW_FD_9X=3, name starts with a digit", environ: []string{"WW_FD_9X=3"}, wantErr: `WW_FD_9X="3": name "9X" must start with an ASCII letter`},
		{name: "WW_FD_db=3, name not upper case", environ: []string{"WW_FD_db=3"}, wantErr: `WW_FD_db="3": name "db" should be written "DB"`},
		{name: "WW_FD_A-B=3, name with a dash", environ: []string{"WW_FD_A-B=3"}, wantErr: `WW_FD_A-B="3": name "A-B" should be written "A_B"`},
		{name: "WW_FD_DB set to two values, error", environ: []string{"WW_FD_DB=3", "WW_FD_DB=4"}, wantErr: `WW_FD_DB is set twice: "3" and "4"`},
		{name: "two WW_FD names for one fd, error", environ: []string{"WW_FD_A=5", "WW_FD_B=5"}, wantErr: `WW_FD_B="5": fd 5 is already named "a" by WW_FD_A="5"`},
		{name: "LISTEN_PID=abc, not a process id", environ: []string{"LISTEN_PID=abc", "LISTEN_FDS=1"}, wantErr: `LISTEN_PID="abc": not a process id`},
		{name: "LISTEN_PID=0, not a process id", environ: []string{"LISTEN_PID=0"}, wantErr: `LISTEN_PID="0": not a process id`},
		{name: "LISTEN_FDS=x, not a number", environ: sd("x", "-"), wantErr: `LISTEN_FDS="x": not a number`},
		{name: "LISTEN_FDS=-1, not a number", environ: sd("-1", "-"), wantErr: `LISTEN_FDS="-1": not a number`},
		{name: "LISTEN_FDS=70000, too many", environ: sd("70000", "-"), wantErr: `LISTEN_FDS="70000": more than 65536 fds`},
		{name: "LISTEN_FDNAMES with 2 names for 3 fds, error", environ: sd("3", "a:b"), wantErr: `LISTEN_FDNAMES="a:b": 2 names for LISTEN_FDS="3"`},
		{name: "LISTEN_FDNAMES with an empty name, error", environ: sd("3", "a::b"), wantErr: `LISTEN_FDNAMES="a::b": name 2 is empty`},
		{name: "WW_FD_DB at another fd than LISTEN_FDNAMES, error", environ: append(sd("1", "db"), "WW_FD_DB=4"), wantErr: `WW_FD_DB="4": LISTEN_FDNAMES puts "db" at fd 3`},
		{name: "WW_FD_DB on an fd LISTEN_FDNAMES calls http, error", environ: append(sd("1", "http"), "WW_FD_DB=3"), wantErr: `WW_FD_DB="3": fd 3 is already named "http" by LISTEN_FDNAMES="http"`},
		{name: "WW_FD_DB for a name LISTEN_FDNAMES gives two fds, error", environ: append(sd("2", "db:db"), "WW_FD_DB=3"), wantErr: `WW_FD_DB="3": LISTEN_FDNAMES gives that name to several fds`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := parseReceived(tt.environ, testPID)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := layout(r); got != tt.want {
				t.Errorf("fds = %q, want %q", got, tt.want)
			}
			if r.systemd != tt.systemd {
				t.Errorf("systemd = %v, want %v", r.systemd, tt.systemd)
			}
		})
	}
}

func TestReceiveLookup(t *testing.T) {
	ww := []string{"WW_FD_DB=3", "WW_FD_CACHE_X=4"}
	sd := []string{"LISTEN_PID=4242", "LISTEN_FDS=3", "LISTEN_FDNAMES=http:web.socket:web.socket"}
	tests := []struct {
		name    string
		environ []string
		lookup  string
		wantFD  int
		wantErr string
	}{
		{name: "db with WW_FD_DB, found", environ: ww, lookup: "db", wantFD: 3},
		{name: "cache-x with WW_FD_CACHE_X, found", environ: ww, lookup: "cache-x", wantFD: 4},
		{name: "CACHE_X with WW_FD_CACHE_X, found", environ: ww, lookup: "CACHE_X", wantFD: 4},
		{name: "http in LISTEN_FDNAMES, found", environ: sd, lookup: "http", wantFD: 3},
		{name: "queue without WW_FD_QUEUE, not set", environ: ww, lookup: "queue", wantErr: `no fd named "queue": WW_FD_QUEUE is not set`},
		{name: "queue with systemd vars, not listed either", environ: sd, lookup: "queue", wantErr: `no fd named "queue": WW_FD_QUEUE is not set and LISTEN_FDNAMES does not list it`},
		{name: "name LISTEN_FDNAMES gives two fds, ambiguous", environ: sd, lookup: "web.socket", wantErr: `fd name "web.socket" is ambiguous: LISTEN_FDNAMES gives it to fds 4, 5`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := parseReceived(tt.environ, testPID)
			if err != nil {
				t.Fatal(err)
			}
			fd, err := r.FD(tt.lookup)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fd != tt.wantFD {
				t.Errorf("FD(%q) = %d, want %d", tt.lookup, fd, tt.wantFD)
			}
		})
	}
}

func TestReceiveNames(t *testing.T) {
	env := []string{"WW_FD_Z=9", "LISTEN_PID=4242", "LISTEN_FDS=3", "LISTEN_FDNAMES=http:cache-x:admin", "WW_FD_DB=7"}
	r, err := parseReceived(env, testPID)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"http", "cache-x", "admin", "db", "z"}
	if got := r.Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %q, want %q", got, want)
	}
}
