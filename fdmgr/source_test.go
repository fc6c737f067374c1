package fdmgr

import (
	"strings"
	"testing"
	"time"
	"unicode"
)

func TestParseSource(t *testing.T) {
	long := "/" + strings.Repeat("a", maxUnixPath)
	tests := []struct {
		name    string
		text    string
		want    Source // Text is filled in from text
		wantErr string
	}{
		{"bare number, fd", "3", Source{Kind: SourceFD, FD: 3}, ""},
		{"fd:N, fd", "fd:4", Source{Kind: SourceFD, FD: 4}, ""},
		{"file, read-only", "file:/var/log/x", Source{Kind: SourceFile, Path: "/var/log/x", Mode: OpenRead}, ""},
		{"relative file, kept relative", "file:run/x", Source{Kind: SourceFile, Path: "run/x", Mode: OpenRead}, ""},
		{"file with @, a plain path", "file:@x", Source{Kind: SourceFile, Path: "@x", Mode: OpenRead}, ""},
		{"mode=r, read-only", "file:/x?mode=r", Source{Kind: SourceFile, Path: "/x", Mode: OpenRead}, ""},
		{"mode=w, write", "file:/x?mode=w", Source{Kind: SourceFile, Path: "/x", Mode: OpenWrite}, ""},
		{"mode=rw, read-write", "file:/x?mode=rw", Source{Kind: SourceFile, Path: "/x", Mode: OpenReadWrite}, ""},
		{"mode=a with create, append and create", "file:/x?mode=a&create=0640",
			Source{Kind: SourceFile, Path: "/x", Mode: OpenAppend, Create: true, Perm: 0o640}, ""},
		{"create first, no leading 0", "file:/x?create=600&mode=w",
			Source{Kind: SourceFile, Path: "/x", Mode: OpenWrite, Create: true, Perm: 0o600}, ""},
		{"create=0, perm 0", "file:/x?mode=rw&create=0",
			Source{Kind: SourceFile, Path: "/x", Mode: OpenReadWrite, Create: true}, ""},
		{"dir=true, directory", "file:/d?dir=true", Source{Kind: SourceFile, Path: "/d", Mode: OpenRead, Dir: true}, ""},
		{"dir=false, plain file", "file:/d?dir=false&mode=w", Source{Kind: SourceFile, Path: "/d", Mode: OpenWrite}, ""},
		{"unix path, connect", "unix:/run/db.sock", Source{Kind: SourceUnix, Network: "unix", Path: "/run/db.sock"}, ""},
		{"unix @, abstract", "unix:@db", Source{Kind: SourceUnix, Network: "unix", Path: "@db"}, ""},
		{"unix 107 bytes, accepted", "unix:" + long[:maxUnixPath],
			Source{Kind: SourceUnix, Network: "unix", Path: long[:maxUnixPath]}, ""},
		{"unix timeout, kept", "unix:/s?timeout=2s",
			Source{Kind: SourceUnix, Network: "unix", Path: "/s", Timeout: 2 * time.Second}, ""},
		{"tcp IPv4, connect", "tcp:127.0.0.1:5432",
			Source{Kind: SourceTCP, Network: "tcp", Host: "127.0.0.1", Port: 5432}, ""},
		{"tcp IPv6 in brackets, host without", "tcp:[::1]:5432",
			Source{Kind: SourceTCP, Network: "tcp", Host: "::1", Port: 5432}, ""},
		{"tcp host name and timeout, kept", "tcp:db.example.com:65535?timeout=1500ms",
			Source{Kind: SourceTCP, Network: "tcp", Host: "db.example.com", Port: 65535, Timeout: 1500 * time.Millisecond}, ""},
		{"tcp leading zeros, decimal", "tcp:db:0080", Source{Kind: SourceTCP, Network: "tcp", Host: "db", Port: 80}, ""},
		{"listen tcp empty host, every address", "listen:tcp::8080", Source{Kind: SourceListen, Network: "tcp", Port: 8080}, ""},
		{"listen tcp 0.0.0.0, IPv4", "listen:tcp:0.0.0.0:80", Source{Kind: SourceListen, Network: "tcp", Host: "0.0.0.0", Port: 80}, ""},
		{"listen tcp [::], port 0", "listen:tcp:[::]:0", Source{Kind: SourceListen, Network: "tcp", Host: "::"}, ""},
		{"listen tcp host name, kept", "listen:tcp:localhost:0", Source{Kind: SourceListen, Network: "tcp", Host: "localhost"}, ""},
		{"listen tcp6 empty host, IPv6 only", "listen:tcp6::8080", Source{Kind: SourceListen, Network: "tcp6", Port: 8080}, ""},
		{"listen tcp6 [::1], IPv6 only", "listen:tcp6:[::1]:1", Source{Kind: SourceListen, Network: "tcp6", Host: "::1", Port: 1}, ""},
		{"listen udp, bound", "listen:udp::53", Source{Kind: SourceListen, Network: "udp", Port: 53}, ""},
		{"listen udp6, bound", "listen:udp6:[::1]:53", Source{Kind: SourceListen, Network: "udp6", Host: "::1", Port: 53}, ""},
		{"listen unix, path", "listen:unix:/run/x.sock", Source{Kind: SourceListen, Network: "unix", Path: "/run/x.sock"}, ""},
		{"listen unix @, abstract", "listen:unix:@x", Source{Kind: SourceListen, Network: "unix", Path: "@x"}, ""},

		{"empty, error", "", Source{}, `source is empty`},
		{"letters, error", "x", Source{}, `fd "x" is not a number`},
		{"fd: and nothing, error", "fd:", Source{}, `fd "fd:" is empty`},
		{"unknown kind, error", "bogus:x", Source{}, `source "bogus:x" is of no known kind`},
		{"upper-case kind, error", "File:/x", Source{}, `source "File:/x" is of no known kind`},
		{"file without path, error", "file:", Source{}, `source "file:" has no path`},
		{"file only options, error", "file:?mode=w", Source{}, `source "file:?mode=w" has no path`},
		{"file path with NUL, error", "file:/x\x00y", Source{}, `path "/x\x00y" has a NUL byte`},
		{"bare ?, error", "file:/x?", Source{}, `source "file:/x?" has an empty option`},
		{"trailing &, error", "file:/x?mode=w&", Source{}, `source "file:/x?mode=w&" has an empty option`},
		{"option without =, error", "file:/x?dir", Source{}, `option "dir" has no "="`},
		{"unknown file option, error", "file:/x?bogus=1", Source{}, `option "bogus" is unknown to file: (known: mode, create, dir)`},
		{"option twice, error", "file:/x?mode=w&mode=a", Source{}, `option "mode" is given twice`},
		{"mode x, error", "file:/x?mode=x", Source{}, `file mode "x" is not r, w, rw or a`},
		{"mode empty, error", "file:/x?mode=", Source{}, `file mode "" is not r, w, rw or a`},
		{"mode upper-case, error", "file:/x?mode=W", Source{}, `file mode "W" is not r, w, rw or a`},
		{"create 9, error", "file:/x?mode=w&create=0999", Source{}, `create permission "0999" is not octal from 0 to 0777`},
		{"create sticky, error", "file:/x?mode=w&create=1777", Source{}, `create permission "1777" is not octal from 0 to 0777`},
		{"create empty, error", "file:/x?mode=w&create=", Source{}, `create permission "" is not octal from 0 to 0777`},
		{"create negative, error", "file:/x?mode=w&create=-1", Source{}, `create permission "-1" is not octal from 0 to 0777`},
		{"create 0o prefix, error", "file:/x?mode=w&create=0o644", Source{}, `create permission "0o644" is not octal from 0 to 0777`},
		{"create read-only, error", "file:/x?create=0644", Source{}, `option "create" needs mode w, rw or a`},
		{"dir yes, error", "file:/x?dir=yes", Source{}, `option "dir" is "yes", not true or false`},
		{"dir for writing, error", "file:/x?dir=true&mode=w", Source{}, `option "dir" needs mode r, not "w"`},
		{"unix without path, error", "unix:", Source{}, `source "unix:" has no path`},
		{"unix only @, error", "unix:@", Source{}, `abstract socket name "@" is empty`},
		{"unix 108 bytes, error", "unix:" + long, Source{}, `unix socket path "` + long + `" is longer than 107 bytes`},
		{"timeout not a duration, error", "unix:/s?timeout=x", Source{}, `timeout "x" is not a positive duration such as 5s`},
		{"timeout zero, error", "tcp:h:1?timeout=0s", Source{}, `timeout "0s" is not a positive duration such as 5s`},
		{"timeout negative, error", "tcp:h:1?timeout=-1s", Source{}, `timeout "-1s" is not a positive duration such as 5s`},
		{"timeout 1h, accepted", "tcp:h:1?timeout=1h",
			Source{Kind: SourceTCP, Network: "tcp", Host: "h", Port: 1, Timeout: time.Hour}, ""},
		{"timeout past 1h, error", "tcp:h:1?timeout=61m", Source{}, `timeout "61m" is longer than an hour`},
		{"file option on unix, error", "unix:/s?mode=w", Source{}, `option "mode" is unknown to unix: (known: timeout)`},
		{"unknown tcp option, error", "tcp:h:1?timeout=1s&x=1", Source{}, `option "x" is unknown to tcp: (known: timeout)`},
		{"tcp without address, error", "tcp:", Source{}, `source "tcp:" has no address`},
		{"tcp without port, error", "tcp:db", Source{}, `source "tcp:db" has no port`},
		{"tcp empty port, error", "tcp:db:", Source{}, `source "tcp:db:" has no port`},
		{"tcp without host, error", "tcp::5432", Source{}, `source "tcp::5432" has no host`},
		{"tcp port 0, error", "tcp:db:0", Source{}, `port 0 of "tcp:db:0" can be listened on, not connected to`},
		{"port 65536, error", "tcp:db:65536", Source{}, `port "65536" is out of range 0 to 65535`},
		{"port past int64, error", "tcp:db:99999999999999999999", Source{}, `port "99999999999999999999" is out of range 0 to 65535`},
		{"port letters, error", "tcp:db:x", Source{}, `port "x" is not a decimal number`},
		{"port plus sign, error", "tcp:db:+80", Source{}, `port "+80" is not a decimal number`},
		{"port negative, error", "tcp:db:-1", Source{}, `port "-1" is not a decimal number`},
		{"port space, error", "tcp:db: 80", Source{}, `port " 80" is not a decimal number`},
		{"port hex, error", "tcp:db:0x50", Source{}, `port "0x50" is not a decimal number`},
		{"IPv6 without brackets, error", "tcp:::1:5432", Source{}, `IPv6 address in "::1:5432" must be in brackets, as in [::1]:80`},
		{"listen IPv6 without brackets, error", "listen:tcp:::80", Source{}, `IPv6 address in "::80" must be in brackets, as in [::1]:80`},
		{"no closing bracket, error", "tcp:[::1", Source{}, `host "[::1" has no closing "]"`},
		{"brackets without port, error", "tcp:[::1]", Source{}, `source "tcp:[::1]" has no port`},
		{"brackets then no colon, error", "tcp:[::1]5432", Source{}, `"5432" follows "[::1]", want :PORT`},
		{"IPv4 in brackets, error", "tcp:[1.2.3.4]:80", Source{}, `host "[1.2.3.4]" is not an IPv6 address`},
		{"name in brackets, error", "tcp:[db]:80", Source{}, `host "[db]" is not an IPv6 address`},
		{"IPv6 zone, error", "tcp:[fe80::1%eth0]:80", Source{}, `IPv6 zone "eth0" of "[fe80::1%eth0]" is not supported`},
		{"bad IPv4, error", "tcp:999.1.1.1:80", Source{}, `host "999.1.1.1" is not an IPv4 address`},
		{"space in host, error", "tcp:a b:80", Source{}, `host "a b" is not an IP address or host name`},
		{"host 254 long, error", "tcp:" + strings.Repeat("a", 254) + ":80", Source{},
			`host "` + strings.Repeat("a", 254) + `" is longer than 253 characters`},
		{"listen nothing, error", "listen:", Source{}, `listen network "" is not tcp, tcp6, udp, udp6 or unix`},
		{"listen sctp, error", "listen:sctp::80", Source{}, `listen network "sctp" is not tcp, tcp6, udp, udp6 or unix`},
		{"listen tcp no address, error", "listen:tcp", Source{}, `source "listen:tcp" has no address`},
		{"listen tcp: no address, error", "listen:tcp:", Source{}, `source "listen:tcp:" has no address`},
		{"listen port alone, error with hint", "listen:tcp:8080", Source{},
			`source "listen:tcp:8080" has no port (every address on port 8080 is ":8080")`},
		{"listen with option, error", "listen:tcp::80?backlog=1", Source{}, `source "listen:tcp::80?backlog=1" takes no options`},
		{"listen tcp6 IPv4, error", "listen:tcp6:127.0.0.1:80", Source{}, `tcp6 address "127.0.0.1" is not IPv6`},
		{"listen udp6 IPv4, error", "listen:udp6:0.0.0.0:53", Source{}, `udp6 address "0.0.0.0" is not IPv6`},
		{"listen udp bad port, error", "listen:udp::70000", Source{}, `port "70000" is out of range 0 to 65535`},
		{"listen unix no path, error", "listen:unix:", Source{}, `source "listen:unix:" has no address`},
		{"listen unix only @, error", "listen:unix:@", Source{}, `abstract socket name "@" is empty`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSource(tc.text)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("ParseSource(%q) error %v, want %q", tc.text, err, tc.wantErr)
				}
				if got != (Source{}) {
					t.Errorf("ParseSource(%q) = %+v with an error, want the zero Source", tc.text, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSource(%q): %v", tc.text, err)
			}
			tc.want.Text = tc.text
			if got != tc.want {
				t.Errorf("ParseSource(%q) = %+v, want %+v", tc.text, got, tc.want)
			}
		})
	}
}

func TestSourceAddress(t *testing.T) {
	for text, want := range map[string]string{
		"3":                      "",
		"file:/var/log/x?mode=a": "/var/log/x",
		"unix:@db":               "@db",
		"listen:unix:/run/s":     "/run/s",
		"tcp:db:5432":            "db:5432",
		"tcp:[::1]:5432":         "[::1]:5432",
		"listen:tcp::80":         ":80",
		"listen:udp6:[::]:53":    "[::]:53",
	} {
		s, err := ParseSource(text)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Address(); got != want {
			t.Errorf("ParseSource(%q).Address() = %q, want %q", text, got, want)
		}
	}
}

func TestSourceKindString(t *testing.T) {
	for k, want := range map[SourceKind]string{
		SourceFD: "fd", SourceFile: "file", SourceUnix: "unix", SourceTCP: "tcp", SourceListen: "listen",
	} {
		if got := k.String(); got != want {
			t.Errorf("SourceKind %q String() = %q, want %q", string(k), got, want)
		}
	}
}

// FuzzParseSource checks that no text makes the parser panic, that every
// error is a lower-case sentence, and that an accepted text parses the
// same again and keeps the fields of its kind only.
func FuzzParseSource(f *testing.F) {
	for _, s := range []string{"3", "fd:0", "file:/x?mode=a&create=0640", "file:/d?dir=true", "unix:@a",
		"unix:/s?timeout=1s", "tcp:[::1]:1", "tcp:db:0080", "listen:tcp::0", "listen:tcp6:[::]:1",
		"listen:udp:1.2.3.4:9", "listen:unix:/s", "tcp:::1:2", "tcp:[fe80::1%x]:1", "file:/x?&", "listen:tcp:8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, err := ParseSource(text)
		if err != nil {
			msg := err.Error()
			if msg == "" || unicode.IsUpper(rune(msg[0])) && !strings.HasPrefix(msg, "IPv6") || strings.HasSuffix(msg, ".") {
				t.Fatalf("ParseSource(%q) error %q is not a lower-case sentence", text, msg)
			}
			return
		}
		again, err := ParseSource(s.Text)
		if err != nil || again != s || s.Text != text {
			t.Fatalf("ParseSource(%q) = %+v, again %+v, %v", text, s, again, err)
		}
		if _, ok := sourceKinds.lookup(s.Kind); !ok {
			t.Fatalf("ParseSource(%q) kind %q is not in the table", text, s.Kind)
		}
		switch s.Kind {
		case SourceFD:
			if s != (Source{Kind: SourceFD, FD: s.FD, Text: text}) || s.FD < 0 {
				t.Fatalf("fd source %q has other fields: %+v", text, s)
			}
		case SourceFile:
			if s.Path == "" || s.Mode == "" || s.Network != "" || s.Port != 0 || s.Perm > maxPerm {
				t.Fatalf("file source %q: %+v", text, s)
			}
		case SourceUnix, SourceTCP, SourceListen:
			if s.Network == "" || s.Port < 0 || s.Port > 65535 || (s.Network == "unix") != (s.Path != "") {
				t.Fatalf("socket source %q: %+v", text, s)
			}
		}
	})
}
