package hook

import (
	"strconv"
	"unicode/utf8"
)

// decodeRecord reads a record in the form appendRecord writes it, field
// for field in that order, without encoding/json's reflection, which in
// a fresh ww hook cost more than the rest of its reading of a record. It
// says false for anything else (another order, spaces, an escape that
// appendRecord does not write), which unmarshal then gives to
// encoding/json: what it does return, json.Unmarshal returns too
// (FuzzDecodeRecord).
func decodeRecord(data []byte) (*Record, bool) {
	d := recordDecoder{b: data}
	r := new(Record)
	ok := d.lit(`{"id":`) && d.str(&r.ID) &&
		d.lit(`,"root":`) && d.str(&r.Root) &&
		d.lit(`,"bundle":`) && d.str(&r.Bundle) &&
		d.lit(`,"bundleDev":`) && d.uint(&r.BundleDev) &&
		d.lit(`,"bundleIno":`) && d.uint(&r.BundleIno) &&
		d.lit(`,"begun":`) && d.int64(&r.Begun)
	if ok && d.has(`,"pid":`) {
		ok = d.int(&r.Pid)
	}
	if ok && d.has(`,"created":true`) {
		r.Created = true
	}
	if ok && d.has(`,"fds":[`) {
		for ok {
			var fd FD
			ok = d.lit(`{"name":`) && d.str(&fd.Name) &&
				d.lit(`,"fd":`) && d.int(&fd.Target) &&
				d.lit(`,"dev":`) && d.uint(&fd.Dev) &&
				d.lit(`,"ino":`) && d.uint(&fd.Ino) && d.lit(`}`)
			r.FDs = append(r.FDs, fd)
			if !d.has(`,`) {
				ok = ok && d.lit(`]`)
				break
			}
		}
	}
	if ok && d.has(`,"files":[`) {
		for ok {
			var f File
			ok = d.lit(`{"path":`) && d.str(&f.Path)
			if ok && d.has(`,"socket":true`) {
				f.Socket = true
			}
			for _, u := range [...]struct {
				key string
				v   *uint64
			}{{`,"dev":`, &f.Dev}, {`,"ino":`, &f.Ino}, {`,"prevDev":`, &f.PrevDev}, {`,"prevIno":`, &f.PrevIno}, {`,"dirDev":`, &f.DirDev}, {`,"dirIno":`, &f.DirIno}} {
				if ok && d.has(u.key) {
					ok = d.uint(u.v)
				}
			}
			ok = ok && d.lit(`}`)
			r.Files = append(r.Files, f)
			if !d.has(`,`) {
				ok = ok && d.lit(`]`)
				break
			}
		}
	}
	if !ok || !d.lit(`}`) || d.i != len(d.b) {
		return nil, false
	}
	return r, true
}

// recordDecoder reads data from i on.
type recordDecoder struct {
	b []byte
	i int
}

// has reads s if data goes on with it.
func (d *recordDecoder) has(s string) bool {
	if len(d.b)-d.i < len(s) || string(d.b[d.i:d.i+len(s)]) != s {
		return false
	}
	d.i += len(s)
	return true
}

// lit reads s, which must come next.
func (d *recordDecoder) lit(s string) bool { return d.has(s) }

// digits reads a JSON integer's text: an optional minus (if neg), then
// 0 or digits without a leading zero.
func (d *recordDecoder) digits(neg bool) (string, bool) {
	start := d.i
	if neg && d.i < len(d.b) && d.b[d.i] == '-' {
		d.i++
	}
	first := d.i
	for d.i < len(d.b) && '0' <= d.b[d.i] && d.b[d.i] <= '9' {
		d.i++
	}
	if d.i == first || (d.b[first] == '0' && d.i-first > 1) {
		return "", false
	}
	if d.i < len(d.b) && (d.b[d.i] == '.' || d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		return "", false
	}
	return string(d.b[start:d.i]), true
}

func (d *recordDecoder) uint(v *uint64) bool {
	s, ok := d.digits(false)
	if !ok {
		return false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	*v = n
	return err == nil
}

func (d *recordDecoder) int64(v *int64) bool {
	s, ok := d.digits(true)
	if !ok {
		return false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	*v = n
	return err == nil
}

func (d *recordDecoder) int(v *int) bool {
	s, ok := d.digits(true)
	if !ok {
		return false
	}
	n, err := strconv.ParseInt(s, 10, strconv.IntSize)
	*v = int(n)
	return err == nil
}

// str reads a string as appendString writes it: valid UTF-8 with no
// control character, and the escapes it uses.
func (d *recordDecoder) str(v *string) bool {
	if !d.has(`"`) {
		return false
	}
	var out []byte
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			if out == nil {
				*v = string(d.b[start:d.i])
			} else {
				*v = string(append(out, d.b[start:d.i]...))
			}
			d.i++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			out = append(out, d.b[start:d.i]...)
			if d.i+1 >= len(d.b) {
				return false
			}
			e := d.b[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				if d.i+4 > len(d.b) {
					return false
				}
				n, err := strconv.ParseUint(string(d.b[d.i:d.i+4]), 16, 16)
				if err != nil || (0xd800 <= n && n < 0xe000) {
					return false // a surrogate: appendString writes none
				}
				out = utf8.AppendRune(out, rune(n))
				d.i += 4
			default:
				return false
			}
			start = d.i
		case c < utf8.RuneSelf:
			d.i++
		default:
			r, size := utf8.DecodeRune(d.b[d.i:])
			if r == utf8.RuneError && size == 1 {
				return false
			}
			d.i += size
		}
	}
	return false
}
