package policy

import (
	"fmt"
	"strings"
	"testing"
)

// benchPolicy is a node policy with n resources in flow mappings, as
// cmd/ww-bench's benchPolicy writes it.
func benchPolicy(n int) string {
	var b strings.Builder
	b.WriteString("version: 1\nresources:\n  devnull: {source: \"file:/dev/null?mode=w\", namespaces: [\"@local\"]}\n")
	for i := range n {
		fmt.Fprintf(&b, "  r%d: {source: \"unix:/run/bench/r%d.sock\", namespaces: [\"team-%d\", \"shop-*\"]}\n", i, i, i)
	}
	b.WriteString("raw:\n  - namespaces: [\"@local\"]\n    files: [/etc]\n")
	return b.String()
}

func BenchmarkDecode100(b *testing.B) {
	data := []byte(benchPolicy(100))
	for b.Loop() {
		if _, err := Decode(examplePath, data); err != nil {
			b.Fatal(err)
		}
	}
}
