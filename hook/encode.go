package hook

import (
	"strconv"
	"unicode/utf8"
)

// The record is written by a few lines of appends rather than by
// encoding/json: in a process that starts afresh for every create, the
// first json.Marshal of a type builds its encoder by reflection, which
// cost ww runtime more than its whole write of the record (about 90 µs
// of 140 on a tmpfs, measured with perf on 2026-12-01). The output is
// what json.Marshal gives for Record, byte for byte (TestAppendRecord,
// FuzzAppendRecord), so that records stay readable by encoding/json.

// appendRecord appends r encoded as json.Marshal encodes it.
func appendRecord(b []byte, r *Record) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, r.ID)
	b = append(b, `,"root":`...)
	b = appendString(b, r.Root)
	b = append(b, `,"bundle":`...)
	b = appendString(b, r.Bundle)
	b = append(b, `,"bundleDev":`...)
	b = strconv.AppendUint(b, r.BundleDev, 10)
	b = append(b, `,"bundleIno":`...)
	b = strconv.AppendUint(b, r.BundleIno, 10)
	b = append(b, `,"begun":`...)
	b = strconv.AppendInt(b, r.Begun, 10)
	if r.Pid != 0 {
		b = append(b, `,"pid":`...)
		b = strconv.AppendInt(b, int64(r.Pid), 10)
	}
	if r.Created {
		b = append(b, `,"created":true`...)
	}
	if len(r.FDs) > 0 {
		b = append(b, `,"fds":[`...)
		for i, fd := range r.FDs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendString(b, fd.Name)
			b = append(b, `,"fd":`...)
			b = strconv.AppendInt(b, int64(fd.Target), 10)
			b = append(b, `,"dev":`...)
			b = strconv.AppendUint(b, fd.Dev, 10)
			b = append(b, `,"ino":`...)
			b = strconv.AppendUint(b, fd.Ino, 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if len(r.Files) > 0 {
		b = append(b, `,"files":[`...)
		for i, f := range r.Files {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendFile(b, f)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendFile(b []byte, f File) []byte {
	b = append(b, `{"path":`...)
	b = appendString(b, f.Path)
	if f.Socket {
		b = append(b, `,"socket":true`...)
	}
	for _, u := range [...]struct {
		key string
		v   uint64
	}{{`,"dev":`, f.Dev}, {`,"ino":`, f.Ino}, {`,"prevDev":`, f.PrevDev}, {`,"prevIno":`, f.PrevIno}, {`,"dirDev":`, f.DirDev}, {`,"dirIno":`, f.DirIno}} {
		if u.v != 0 {
			b = append(b, u.key...)
			b = strconv.AppendUint(b, u.v, 10)
		}
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string the way encoding/json writes
// it: '"' and '\\' escaped, control characters and the HTML characters
// <, > and & as \u00XX (with \b, \f, \n, \r and \t short), U+2028 and
// U+2029 escaped, and each byte of invalid UTF-8 as U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
