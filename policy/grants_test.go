package policy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestGrants(t *testing.T) {
	show := func(gs []Grant) []string {
		var out []string
		for _, g := range gs {
			var res []string
			for _, r := range g.Resources {
				res = append(res, r.Name)
			}
			out = append(out, fmt.Sprintf("%s res=%s files=%s unix=%s tcp=%s host=%v", g.Namespace,
				strings.Join(res, ","), strings.Join(g.Files, ","), strings.Join(g.Unix, ","), strings.Join(g.TCP, ","), g.HostNetwork))
		}
		return out
	}
	tests := []struct {
		name string
		p    *Policy
		want []string
	}{
		{"example, @local first then sorted", mustDecode(t, examplePath, examplePolicy), []string{
			"@local res=web files=/srv/shared unix=/run/app-sockets tcp=10.0.0.5:5432 host=true",
			"ingress res= files= unix= tcp= host=true",
			"shop res=applog,pg files=/srv/shop unix= tcp= host=false",
			"team-* res=pg files= unix=/run/team tcp=db.example.com:5432,[::1]:6379 host=false",
		}},
		{"default, @local on the node's network", Default(examplePath), []string{
			"@local res= files= unix= tcp= host=true",
		}},
		{"hostNetwork without @local, @local gets nothing", mustDecode(t, examplePath, "version: 1\nhostNetwork: {namespaces: [\"*\"]}\n"), []string{
			"@local res= files= unix= tcp= host=false",
			"* res= files= unix= tcp= host=true",
		}},
		{"two rules for one namespace, merged", mustDecode(t, examplePath,
			"version: 1\nraw:\n  - {namespaces: [a], files: [/x]}\n  - {namespaces: [a], files: [/x, /y]}\n"), []string{
			"@local res= files= unix= tcp= host=true",
			"a res= files=/x,/y unix= tcp= host=false",
		}},
		{"failed, nothing", Failed(examplePath, fmt.Errorf("bad")), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := show(tt.p.Grants()); !slices.Equal(got, tt.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
