package spec

import (
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// withEnv is a spec whose process has env; nil env means no process.
func withEnv(env ...string) *specs.Spec {
	return &specs.Spec{Process: &specs.Process{Env: env, Cwd: "/"}}
}

func TestEnvModifiers(t *testing.T) {
	tests := []struct {
		name    string
		before  *specs.Spec
		mod     Modifier
		want    []string
		wantErr string
	}{
		{
			name:   "FDEnv on plain env: appended after it",
			before: withEnv("PATH=/bin", "HOME=/"),
			mod:    FDEnv([]string{"WW_FD_DB=3", "WW_FD_LOG=4"}),
			want:   []string{"PATH=/bin", "HOME=/", "WW_FD_DB=3", "WW_FD_LOG=4"},
		},
		{
			name:   "FDEnv over an outer ww's WW_FD_*: all of them replaced",
			before: withEnv("WW_FD_OLD=9", "PATH=/bin", "WW_FD_DB=5"),
			mod:    FDEnv([]string{"WW_FD_DB=3"}),
			want:   []string{"PATH=/bin", "WW_FD_DB=3"},
		},
		{
			name:   "FDEnv empty: only removes",
			before: withEnv("WW_FD_OLD=9", "PATH=/bin"),
			mod:    FDEnv(nil),
			want:   []string{"PATH=/bin"},
		},
		{
			name:   "FDEnv on a process without env: env made",
			before: withEnv(),
			mod:    FDEnv([]string{"WW_FD_DB=3"}),
			want:   []string{"WW_FD_DB=3"},
		},
		{
			name:   "FDEnv keeps WW_FDX and entries without '='",
			before: withEnv("WW_FDX=1", "BARE"),
			mod:    FDEnv([]string{"WW_FD_A_B=3"}),
			want:   []string{"WW_FDX=1", "BARE", "WW_FD_A_B=3"},
		},
		{
			name:   "SystemdEnv over stale LISTEN_*: all four gone, LISTEN_ADDR kept",
			before: withEnv("LISTEN_FDS=5", "LISTEN_ADDR=:80", "LISTEN_FDNAMES=x", "LISTEN_PID=42", "LISTEN_PIDFDID=77"),
			mod:    SystemdEnv([]string{"LISTEN_FDS=1", "LISTEN_PID=1"}),
			want:   []string{"LISTEN_ADDR=:80", "LISTEN_FDS=1", "LISTEN_PID=1"},
		},
		{
			name:   "SystemdEnv empty: LISTEN_* removed",
			before: withEnv("LISTEN_FDS=5", "LISTEN_FDNAMES=x", "PATH=/bin"),
			mod:    SystemdEnv(nil),
			want:   []string{"PATH=/bin"},
		},
		{
			name:   "Env with a set key and a prefix: key replaced, prefix dropped",
			before: withEnv("A=1", "X_1=a", "B=2", "X_2=b"),
			mod:    Env([]string{"A=9", "C="}, "X_"),
			want:   []string{"B=2", "A=9", "C="},
		},
		{name: "FDEnv, no process: error", before: &specs.Spec{}, mod: FDEnv(nil),
			wantErr: "set WW_FD_* variables: spec has no process"},
		{name: "SystemdEnv, no process: error", before: &specs.Spec{}, mod: SystemdEnv(nil),
			wantErr: "set LISTEN_* variables: spec has no process"},
		{name: "Env, nil spec: error", before: nil, mod: Env(nil),
			wantErr: "set env: spec has no process"},
		{name: "FDEnv entry without '=': error", before: withEnv(), mod: FDEnv([]string{"WW_FD_DB"}),
			wantErr: `env "WW_FD_DB": no '=' between name and value`},
		{name: "FDEnv entry with empty name: error", before: withEnv(), mod: FDEnv([]string{"=3"}),
			wantErr: `env "=3": name is empty`},
		{name: "FDEnv variable set twice: error", before: withEnv(), mod: FDEnv([]string{"WW_FD_DB=3", "WW_FD_DB=4"}),
			wantErr: `env "WW_FD_DB=4": variable "WW_FD_DB" is set twice`},
		{name: "FDEnv variable without prefix: error", before: withEnv(), mod: FDEnv([]string{"DB=3"}),
			wantErr: `env "DB=3": the name does not start with WW_FD_`},
		{name: "FDEnv bare prefix: error", before: withEnv(), mod: FDEnv([]string{"WW_FD_=3"}),
			wantErr: `env "WW_FD_=3": name is empty`},
		{name: "FDEnv name starting with a digit: error", before: withEnv(), mod: FDEnv([]string{"WW_FD_9=3"}),
			wantErr: `env "WW_FD_9=3": name "9" must start with an ASCII letter`},
		{name: "FDEnv lower-case name: error", before: withEnv(), mod: FDEnv([]string{"WW_FD_db=3"}),
			wantErr: `env "WW_FD_db=3": name "db" should be written "DB"`},
		{name: "FDEnv fd not a number: error", before: withEnv(), mod: FDEnv([]string{"WW_FD_DB=x"}),
			wantErr: `env "WW_FD_DB=x": fd is not a number`},
		{name: "FDEnv fd 2: error", before: withEnv(), mod: FDEnv([]string{"WW_FD_DB=2"}),
			wantErr: `env "WW_FD_DB=2": fd 2 is a standard stream, named fds start at 3`},
		{name: "FDEnv fd past int: error", before: withEnv(), mod: FDEnv([]string{"WW_FD_DB=99999999999999999999"}),
			wantErr: `env "WW_FD_DB=99999999999999999999": fd is out of range`},
		{name: "SystemdEnv other variable: error", before: withEnv(), mod: SystemdEnv([]string{"LISTEN_ADDR=:80"}),
			wantErr: `env "LISTEN_ADDR=:80": variable "LISTEN_ADDR" is not one of LISTEN_FDS, LISTEN_FDNAMES, LISTEN_PID`},
		{name: "SystemdEnv LISTEN_PIDFDID: error", before: withEnv(), mod: SystemdEnv([]string{"LISTEN_PIDFDID=5"}),
			wantErr: `env "LISTEN_PIDFDID=5": variable "LISTEN_PIDFDID" is not one of LISTEN_FDS, LISTEN_FDNAMES, LISTEN_PID`},
		{name: "SystemdEnv LISTEN_FDS not a number: error", before: withEnv(), mod: SystemdEnv([]string{"LISTEN_FDS=two"}),
			wantErr: `env "LISTEN_FDS=two": LISTEN_FDS "two" is not a number`},
		{name: "SystemdEnv LISTEN_PID empty: error", before: withEnv(), mod: SystemdEnv([]string{"LISTEN_PID="}),
			wantErr: `env "LISTEN_PID=": LISTEN_PID "" is not a number`},
		{name: "Env empty prefix: error", before: withEnv(), mod: Env(nil, ""),
			wantErr: "env prefix to drop is empty: it would drop every variable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before []string
			if tt.before != nil && tt.before.Process != nil {
				before = append(before, tt.before.Process.Env...)
			}
			err := tt.mod.Modify(tt.before)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				if tt.before != nil && tt.before.Process != nil && !reflect.DeepEqual(tt.before.Process.Env, before) {
					t.Errorf("env changed by a failed edit: %q", tt.before.Process.Env)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.before.Process.Env; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("env = %q, want %q", got, tt.want)
			}
			// A second run, as a restart of the container would do, changes nothing.
			if err := tt.mod.Modify(tt.before); err != nil {
				t.Fatal(err)
			}
			if got := tt.before.Process.Env; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("env after a second run = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFDEnvCopiesInput(t *testing.T) {
	env := []string{"WW_FD_DB=3"}
	m := FDEnv(env)
	env[0] = "WW_FD_DB=x"
	s := withEnv()
	if err := m.Modify(s); err != nil {
		t.Fatal(err)
	}
	if want := []string{"WW_FD_DB=3"}; !reflect.DeepEqual(s.Process.Env, want) {
		t.Errorf("env = %q, want %q", s.Process.Env, want)
	}
}
