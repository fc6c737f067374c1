package policy

import (
	"strconv"
	"unicode/utf8"
)

// maxQuoted is how many bytes of a value a message quotes: a 1 MiB
// annotation must not become a 1 MiB log line.
const maxQuoted = 200

// cut returns s, or its first maxQuoted bytes (ending on a whole UTF-8
// sequence) and whether it was cut.
func cut(s string) (string, bool) { return cutAt(s, maxQuoted) }

// cutAt is cut after n bytes.
func cutAt(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	// Back up over a UTF-8 sequence cut in the middle, at most 3 bytes.
	for i := 0; i < utf8.UTFMax-1 && n > 0 && !utf8.RuneStart(s[n]); i++ {
		n--
	}
	return s[:n], true
}

// quotesAsIs reports, without quoting it, whether strconv.Quote leaves s
// as it is between its quotes: true for printable ASCII but '"' and '\\';
// false may still be so. The decoder names every key it reads with clip,
// and quoting each to compare cost ww runtime 0.2 million instructions
// per start under a policy of 100 resources (callgrind, 2026-12-01).
func quotesAsIs(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7E || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// quote quotes s as Go does, at most maxQuoted bytes of it; a longer s
// ends in "…" followed by its length.
func quote(s string) string {
	head, cutShort := cut(s)
	if !cutShort {
		return strconv.Quote(s)
	}
	return strconv.Quote(head) + "… (" + strconv.Itoa(len(s)) + " bytes)"
}

// clip bounds a value shown unquoted, such as a path from the node's own
// policy file: it is cut as quote cuts, and quoted only if it holds a
// character that needs escaping.
func clip(s string) string {
	head, cutShort := cut(s)
	if !quotesAsIs(head) {
		if q := strconv.Quote(head); q[1:len(q)-1] != head {
			return quote(s)
		}
	}
	if cutShort {
		return head + "… (" + strconv.Itoa(len(s)) + " bytes)"
	}
	return s
}

// maxMessage bounds a message made elsewhere that quotes a value whole,
// such as fdmgr.ParseSource's.
const maxMessage = 2 * maxQuoted

// shorten cuts err's message after maxMessage bytes.
func shorten(err error) string {
	msg, cutShort := cutAt(err.Error(), maxMessage)
	if cutShort {
		msg += "…"
	}
	return msg
}
