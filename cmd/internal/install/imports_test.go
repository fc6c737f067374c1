package install

import (
	"testing"
)

func TestAddImport(t *testing.T) {
	const p = "/etc/containerd/conf.d/ww.toml"
	tests := []struct {
		name, doc, want string
	}{{
		name: "no imports key, one made after the last top-level key",
		doc:  "version = 2\nroot = \"/r\" # where\n\n[grpc]\n  address = \"x\"\n",
		want: "version = 2\nroot = \"/r\" # where\nimports = [\"" + p + "\"]\n\n[grpc]\n  address = \"x\"\n",
	}, {
		name: "no key and no newline at the end, one made on a line of its own",
		doc:  "version = 3",
		want: "version = 3\nimports = [\"" + p + "\"]\n",
	}, {
		name: "empty list, the path inside",
		doc:  "imports = []\nversion = 2\n",
		want: "imports = [\"" + p + "\"]\nversion = 2\n",
	}, {
		name: "single-quoted list, appended in its quotes",
		doc:  "version = 3\nimports = ['/etc/containerd/conf.d/*.toml']\n",
		want: "version = 3\nimports = ['/etc/containerd/conf.d/*.toml', '" + p + "']\n",
	}, {
		name: "multi-line list with comments and a trailing comma, both kept",
		doc:  "version = 3\nimports = [\n  # vendor\n  \"/a.toml\", # first\n]\n",
		want: "version = 3\nimports = [\n  # vendor\n  \"/a.toml\", \"" + p + "\", # first\n]\n",
	}, {
		name: "quoted key, found",
		doc:  "version = 2\n\"imports\" = []\n",
		want: "version = 2\n\"imports\" = [\"" + p + "\"]\n",
	}, {
		name: "imports of a table below, not the top-level key",
		doc:  "version = 2\n[x]\nimports = []\n",
		want: "version = 2\nimports = [\"" + p + "\"]\n[x]\nimports = []\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := addImport([]byte(tt.doc), p)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tt.want)
			}
			back, err := removeImport(got, p)
			if err != nil {
				t.Fatal(err)
			}
			if k, _ := findImports([]byte(tt.doc)); k.found && string(back) != tt.doc {
				t.Errorf("removeImport gives\n%s\nnot the document before\n%s", back, tt.doc)
			}
		})
	}
}

func TestImportsErrors(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"imports a string, refused", "version = 2\nimports = \"/a\"\n", "imports is not a list"},
		{"imports holding a number, refused", "version = 2\nimports = [1]\n", "imports holds a value of kind Integer, not a path string"},
		{"broken document, the parser's error", "version = 2\nimports = [\n", "array is incomplete"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := addImport([]byte(tt.doc), "/p")
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestRemoveImportKeepsOthers(t *testing.T) {
	doc := "imports = [\"/p\", '/a', \"/b\"]\n"
	got, err := removeImport([]byte(doc), "/p")
	if err != nil {
		t.Fatal(err)
	}
	if want := "imports = ['/a', \"/b\"]\n"; string(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	got, err = removeImport([]byte(doc), "/b")
	if err != nil {
		t.Fatal(err)
	}
	if want := "imports = [\"/p\", '/a']\n"; string(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestQuoteTOML(t *testing.T) {
	tests := []struct {
		s     string
		quote byte
		want  string
	}{
		{"/a b", '\'', "'/a b'"},
		{"/it's", '\'', `"/it's"`},
		{`/a"\b`, '"', `"/a\"\\b"`},
		{"/a\tb", '"', `"/a\u0009b"`},
	}
	for _, tt := range tests {
		if got := quoteTOML(tt.s, tt.quote); got != tt.want {
			t.Errorf("quoteTOML(%q) = %s, want %s", tt.s, got, tt.want)
		}
	}
}

func TestImported(t *testing.T) {
	main := &containerdConfig{path: "/etc/containerd/config.toml"}
	tests := []struct {
		name    string
		imports []string
		dropIn  string
		want    bool
	}{
		{"the path itself, imported", []string{"/etc/containerd/conf.d/ww.toml"}, "/etc/containerd/conf.d/ww.toml", true},
		{"a glob of its folder, imported", []string{"/etc/containerd/conf.d/*.toml"}, "/etc/containerd/conf.d/ww.toml", true},
		{"a relative glob, from the main file's folder, imported", []string{"conf.d/*.toml"}, "/etc/containerd/conf.d/ww.toml", true},
		{"a glob of another folder, not imported", []string{"/etc/containerd/other/*.toml"}, "/etc/containerd/conf.d/ww.toml", false},
		{"a glob that does not reach into subfolders, not imported", []string{"/etc/containerd/*.toml"}, "/etc/containerd/conf.d/ww.toml", false},
		{"no imports, not imported", nil, "/etc/containerd/conf.d/ww.toml", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			main.imports = tt.imports
			if got := imported(main, tt.dropIn); got != tt.want {
				t.Errorf("imported = %v", got)
			}
		})
	}
}
