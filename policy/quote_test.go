package policy

import (
	"strconv"
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	tests := []struct {
		name, in, quoted, clipped string
	}{
		{"short, whole", "abc", `"abc"`, "abc"},
		{"control character, escaped", "a\nb", `"a\nb"`, `"a\nb"`},
		{"201 bytes, cut at 200", strings.Repeat("a", 201), `"` + strings.Repeat("a", 200) + `"… (201 bytes)`,
			strings.Repeat("a", 200) + "… (201 bytes)"},
		{"rune across byte 200, cut before it", strings.Repeat("a", 199) + "é", `"` + strings.Repeat("a", 199) + `"… (201 bytes)`,
			strings.Repeat("a", 199) + "… (201 bytes)"},
		{"4-byte rune across byte 200, cut before it", strings.Repeat("a", 198) + "😀", `"` + strings.Repeat("a", 198) + `"… (202 bytes)`,
			strings.Repeat("a", 198) + "… (202 bytes)"},
		{"invalid UTF-8, escaped", "\xff", `"\xff"`, `"\xff"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := quote(tt.in); got != tt.quoted {
				t.Errorf("quote = %s, want %s", got, tt.quoted)
			}
			if got := clip(tt.in); got != tt.clipped {
				t.Errorf("clip = %s, want %s", got, tt.clipped)
			}
		})
	}
}

// TestQuotesAsIs: where quotesAsIs says a string quotes as it is,
// strconv.Quote agrees, for every byte and some longer strings.
func TestQuotesAsIs(t *testing.T) {
	var samples []string
	for b := 0; b < 256; b++ {
		samples = append(samples, string([]byte{byte(b)}), "a"+string([]byte{byte(b)})+"z")
	}
	samples = append(samples, "", "plain/path-1.2_x", "é", "\u2028", "tab\there")
	asIs := 0
	for _, s := range samples {
		if !quotesAsIs(s) {
			continue
		}
		asIs++
		if q := strconv.Quote(s); q != `"`+s+`"` {
			t.Errorf("quotesAsIs(%q) but strconv.Quote gives %s", s, q)
		}
	}
	if asIs < 2*93 {
		t.Errorf("quotesAsIs accepted %d samples, want every printable ASCII byte but the quote and the backslash", asIs)
	}
}
