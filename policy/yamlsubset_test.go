package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// policyDocuments are the policy files of the tests (cmd/ww's too) and
// documents in each form of the subset: the reader must read each as
// sigs.k8s.io/yaml does, or refuse it where the library does.
func policyDocuments() []string {
	docs := []string{
		examplePolicy,
		examplePolicy + "audit: /var/log/ww/audit.jsonl\n",
		benchPolicy(3),
		// cmd/ww's testPolicyYAML and runtimePolicyYAML.
		"version: 1\nresources:\n  pg:\n    source: unix:/run/postgresql/.s.PGSQL.5432\n    namespaces: [shop, \"team-*\"]\n" +
			"raw:\n  - namespaces: [\"@local\"]\n    files: [/srv/shared]\n    tcp: [\"10.0.0.5:5432\"]\n" +
			"hostNetwork:\n  namespaces: [ingress]\naudit: /var/log/ww/audit.jsonl\n",
		"version: 1\nresources:\n  \"null\": {source: \"file:/dev/null\", namespaces: [\"@local\", \"*\"]}\n" +
			"  nullw: {source: \"file:/dev/null?mode=w\", namespaces: [\"@local\", \"*\"]}\n" +
			"raw:\n  - namespaces: [\"@local\", \"*\"]\n    files: [/etc, /tmp, /dev/shm, /run, /var/tmp]\n    unix: [/tmp, /run, /dev/shm]\n" +
			"hostNetwork:\n  namespaces: [\"@local\", \"*\"]\n",
		"version: 1\nraw: [{files: 3}]\n",
		"version: 1\nraw:\n  - {namespaces: [a], files: [/x]}\n  - {namespaces: [a], files: [/x, /y]}\n",
		"version: 1\nx: 1\n",
		// Each form of the subset.
		"---\n# a comment\nversion: 1 # after a value\n\nraw:\n- namespaces:\n  - shop\n  -   \"team-*\"\n  files: []\n...\n# after the end\n",
		"  version: 1\n  resources:\n    a:\n      source: 'it''s'\n      namespaces: [ 'x' , \"y\" ]\n",
		"a:\n  - - x\n    - y\n  -\n  - k: v\n    k2: [1, {a: [b, {c: d}]}, []]\n  - {}\nb: ~\nc:\nd: null\n",
		"ints: [0, -1, +2, 0x1F, 0o17, 017, 0b101, 1_000, 9223372036854775807, 18446744073709551615, 99999999999999999999]\n",
		"floats: [1.5, -0.0, .5, 1e3, 1.e3, +1.5E-3, 1., 6.02e23]\nnot: [1.2.3, 10.0.0.5, 1e, 0x, 1-2, +, -a, 2024-team, 2001-13-40]\n",
		"bools: [y, Y, yes, Yes, YES, n, NO, true, True, FALSE, on, On, OFF, yEs, tRue]\n",
		"s: [a b  c, a#b, 'a #b', \"a\\tb\\x41\\u00e9\\U0001F600\\\\\\\"\\/\", a:b, http://x/y?z=1&w]\nt: a]b, c{d} # c\n",
		"\"quoted key\": 1\n'single': 2\n\"a\\\"b\" : 3\nk-e_y.1: 4\n\"1\": 5\n",
		`{"version": 1, "a": {"b":"c", "d": [1, 2, "3"]}, "e": null, "f": true}`,
		"- a\n- b: c\n  d: e\n-\n  f\n",
		"key: value with ' and \" inside\nother: -1x\nx: ---\nz: ...\n",
		"é: ü\nk: 日本\n",
		"a: [\"\\N\\_\\L\\P\\e\\0\"]\n",
	}
	for _, tt := range decodeDefaultCases() {
		docs = append(docs, tt.yaml)
	}
	for _, tt := range decodeErrorCases() {
		docs = append(docs, tt.yaml)
	}
	return docs
}

// yamlValue is yamlDocument with each mapping a map[string]any, as the
// library reads it.
func yamlValue(data []byte) (any, error) {
	v, err := yamlDocument(data)
	return plainValue(v), err
}

func plainValue(v any) any {
	switch v := v.(type) {
	case yamlMap:
		m := make(map[string]any, len(v))
		for _, kv := range v {
			m[kv.key] = plainValue(kv.val)
		}
		return m
	case []any:
		for i := range v {
			v[i] = plainValue(v[i])
		}
	}
	return v
}

// referenceValue is data as sigs.k8s.io/yaml reads it, with numbers as
// decode reads them.
func referenceValue(data []byte) (any, error) {
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var v any
	err = dec.Decode(&v)
	return v, err
}

func TestYAMLSubsetMatchesYAML(t *testing.T) {
	for _, doc := range policyDocuments() {
		want, wantErr := referenceValue([]byte(doc))
		got, err := yamlValue([]byte(doc))
		name, _ := cut(doc)
		switch {
		case wantErr != nil && err == nil:
			t.Errorf("%q: read %#v, the library refuses it: %v", name, got, wantErr)
		case wantErr == nil && err != nil:
			t.Errorf("%q: %v; the library reads %#v", name, err, want)
		case !reflect.DeepEqual(got, want):
			t.Errorf("%q:\n got  %#v\n want %#v", name, got, want)
		}
	}
}

// yamlRefusals are documents outside the subset, and their errors.
var yamlRefusals = []struct{ name, yaml, want string }{
	{"tab indentation, refused", "a:\n\tb: 1\n", "line 2:1: a tab; indent and separate with spaces"},
	{"tab after a key, refused", "a:\t1\n", "line 1:3: a tab"},
	{"carriage return, refused", "a: 1\r\n", `line 1:5: character U+000D is not allowed`},
	{"byte order mark, refused", "\ufeffa: 1\n", `line 1:1: character U+FEFF is not allowed`},
	{"not UTF-8, refused", "a: \xff\n", "line 1:4: not UTF-8"},
	{"anchor, refused", "a: &x 1\n", "line 1:4: anchors (&) are not supported"},
	{"alias, refused", "a: 1\nb: *x\n", "line 2:4: aliases (*) are not supported"},
	{"tag, refused", "a: !!str 1\n", "line 1:4: tags (!) are not supported"},
	{"literal block scalar, refused", "a: |\n  x\n", "line 1:4: block scalars (| and >) are not supported"},
	{"folded block scalar, refused", "a: >-\n  x\n", "line 1:4: block scalars (| and >) are not supported"},
	{"multi-line plain scalar, refused", "a: x\n  y\n", "line 2:3: unexpected indentation (a value continued on another line is not supported)"},
	{"multi-line quoted scalar, refused", "a: \"x\n  y\"\n", `line 1:4: quoted value not closed on its line`},
	{"escaped line break, refused", "a: \"x\\\n  y\"\n", `line 1:6: "\" at the end of the line`},
	{"multi-line flow, refused", "a: [x,\n  y]\n", `line 1:4: "[" not closed on its line`},
	{"second document, refused", "a: 1\n---\nb: 2\n", "line 2:1: a second document; a policy is one"},
	{"content after end, refused", "a: 1\n...\nb: 2\n", `line 3:1: content after "..."; a policy is one document`},
	{"content after ---, refused", "--- a: 1\n", `line 1:4: content after "---"`},
	{"end without a document, refused", "# c\n...\n", `line 2:1: "..." ends a document without content`},
	{"directive, refused", "%YAML 1.1\n---\na: 1\n", "line 1:1: directives (%) are not supported"},
	{"merge key, refused", "a: {x: 1}\nb:\n  <<: {y: 2}\n", `line 3:3: "<<" (a merge key) is not supported`},
	{"complex key, refused", "? a\n: b\n", "line 1:1: complex keys (?) are not supported"},
	{"flow complex key, refused", "{[a]: b}\n", "line 1:2: complex keys are not supported"},
	{"flow key as block key, refused", "[a]: b\n", `line 1:4: unexpected ":" after the value`},
	{"duplicate key, refused", "a: 1\nb: 2\na: 3\n", `line 3:1: key "a" given twice`},
	{"duplicate quoted key, refused", "a: 1\n\"a\": 3\n", `line 2:1: key "a" given twice`},
	{"duplicate flow key, refused", "{a: 1, 'a': 2}\n", `line 1:8: key "a" given twice`},
	// Past maxScan keys, a mapping's keys are looked up in a set.
	{"duplicate key after many, refused", manyKeys("k%d: 1", "\n", 20) + "\nk3: 2\n", `line 21:1: key "k3" given twice`},
	{"duplicate flow key after many, refused", "{" + manyKeys("k%d: 1", ", ", 20) + ", k19: 2}\n", `line 1:152: key "k19" given twice`},
	{"number key, refused", "80: x\n", `line 1:1: key "80" is a number (80) in YAML; quote the key`},
	{"bool key, refused", "resources: {yes: x}\n", `line 1:13: key "yes" is a boolean (true;`},
	{"null key, refused", "~: x\n", `line 1:1: key "~" is nothing (null) in YAML`},
	{"timestamp, refused", "a: 2001-12-14\n", `line 1:4: "2001-12-14" is a timestamp in YAML; quote the value`},
	{"infinity, refused", "a: [.inf]\n", `line 1:5: ".inf" is not a finite number`},
	{"colon in a value, refused", "a: b: c\n", `line 1:5: ": " in a plain value; quote the value`},
	{"entry after a key, refused", "a: - b\n", `line 1:4: a "- " entry must start its own line`},
	{"text after a quoted value, refused", "a: 'b' c\n", `line 1:8: unexpected "c" after the value`},
	{"comment without a space, refused", "a: 'b'#c\n", `line 1:7: unexpected "#" after the value`},
	{"pair in a flow list, refused", "a: [b: c]\n", `line 1:6: a "key: value" pair in a flow list`},
	{"trailing comma, refused", "a: [b, ]\n", "line 1:8: want an entry after the comma"},
	{"flow key without value, refused", "a: {b}\n", `line 1:6: want ":" after key "b"`},
	{"flow empty value, refused", "a: {b: }\n", `line 1:8: want a value after ":"`},
	{"flow value ending in a colon, refused", "a: [b:]\n", `line 1:5: "b:" ends in a colon`},
	{"question mark in flow, refused", "a: [b?c]\n", `line 1:6: want "," or "]", got "?"`},
	{"unknown escape, refused", "a: \"\\q\"\n", `line 1:5: unknown escape "\\q"`},
	{"surrogate escape, refused", "a: \"\\ud800\"\n", `line 1:5: escape "\\ud800" is not a Unicode character`},
	{"short escape, refused", "a: \"\\x4\"\n", `line 1:5: escape "\\x4\""`},
	{"reserved indicator, refused", "a: @b\n", `line 1:4: "@" cannot start a plain value`},
	{"scalar then more, refused", "a\nb\n", "line 2:1: more content after the document's top node"},
	{"key line expected, refused", "a: 1\nb\n", `line 2:1: want "key: value" in this mapping`},
	{"entry expected, refused", "- a\n-b\n", "line 2:1: more content after the document's top node"},
	{"less indented key, refused", "a:\n    b: 1\n  c: 2\n", "line 3:3: unexpected indentation"},
	{"deep nesting, refused", "a: " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n", "line 1:"},
	{"long flow key, refused", "{\"" + strings.Repeat("\\x41", 300) + "\": 1}\n", "line 1:2: key longer than 1000 bytes"},
	{"long key, refused", strings.Repeat("k", 1001) + ": 1\n", "line 1:1: key longer than 1000 bytes"},
}

// manyKeys is n entries made by format from 0 on, joined by sep.
func manyKeys(format, sep string, n int) string {
	var entries []string
	for i := range n {
		entries = append(entries, fmt.Sprintf(format, i))
	}
	return strings.Join(entries, sep)
}

func TestYAMLSubsetRefuses(t *testing.T) {
	for _, tt := range yamlRefusals {
		t.Run(tt.name, func(t *testing.T) {
			v, err := yamlValue([]byte(tt.yaml))
			if err == nil {
				t.Fatalf("read %#v, want error %q", v, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got  %v\nwant …%s…", err, tt.want)
			}
		})
	}
}

// FuzzYAMLSubset checks the reader against sigs.k8s.io/yaml: what the
// reader accepts, the library accepts and reads as the same value. The
// reader may refuse more.
func FuzzYAMLSubset(f *testing.F) {
	for _, doc := range policyDocuments() {
		if len(doc) < 4096 {
			f.Add([]byte(doc))
		}
	}
	for _, tt := range yamlRefusals {
		f.Add([]byte(tt.yaml))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := yamlValue(data)
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "line ") || strings.ContainsAny(msg, "\n\x00") || len(msg) > 2000 {
				t.Fatalf("error is not one bounded line naming the line: %q", msg)
			}
			return
		}
		want, err := referenceValue(data)
		if err != nil {
			t.Fatalf("read %#v, the library refuses it: %v", got, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got  %#v\nwant %#v", got, want)
		}
	})
}
