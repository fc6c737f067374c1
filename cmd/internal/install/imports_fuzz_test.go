package install

import (
	"reflect"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

// FuzzImports checks, for any document that decodes as TOML, that
// addImport gives a document that decodes to the same one with the path
// at the end of imports (or a new imports key holding it), and that
// removeImport takes exactly that out again.
func FuzzImports(f *testing.F) {
	for _, seed := range []string{
		"version = 2\n",
		"version = 3\nimports = ['/a.toml']\n[plugins]\n",
		"imports = [\n  # c\n  \"/a\", # d\n]\nversion = 2 # v\n",
		"\"imports\" = []\n[x]\nimports = [1]\n",
		"a.b = 1\nimports=[\"x\",'y',]\n",
		"",
	} {
		f.Add(seed)
	}
	const path = "/etc/containerd/conf.d/ww.toml"
	f.Fuzz(func(t *testing.T, doc string) {
		var before map[string]any
		if toml.Unmarshal([]byte(doc), &before) != nil {
			return
		}
		list, isList := before["imports"].([]any)
		if _, ok := before["imports"]; ok && !isList {
			return // refused, as the unit tests check
		}
		added, err := addImport([]byte(doc), path)
		if err != nil {
			for _, v := range list {
				if _, ok := v.(string); !ok {
					return // a list of non-paths is refused
				}
			}
			t.Fatalf("addImport(%q): %v", doc, err)
		}
		var after map[string]any
		if err := toml.Unmarshal(added, &after); err != nil {
			t.Fatalf("addImport(%q) = %q, which does not decode: %v", doc, added, err)
		}
		want := append(append([]any{}, list...), path)
		if !reflect.DeepEqual(after["imports"], want) {
			t.Fatalf("addImport(%q): imports %v, want %v", doc, after["imports"], want)
		}
		delete(after, "imports")
		delete(before, "imports")
		if !reflect.DeepEqual(after, before) {
			t.Fatalf("addImport(%q) = %q changed other keys", doc, added)
		}
		removed, err := removeImport(added, path)
		if err != nil {
			t.Fatal(err)
		}
		if isList && string(removed) != doc {
			t.Fatalf("removeImport(addImport(%q)) = %q", doc, removed)
		}
	})
}
