package install

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestContainerd1ImportAfterTheDropIn checks the warning about a file
// that containerd 1.x loads after ww's drop-in and whose CRI section
// replaces it, and that the real daemon does lose the handler then.
func TestContainerd1ImportAfterTheDropIn(t *testing.T) {
	c16 := containerd16(t)
	tests := []struct {
		name, other string
		lost        bool
	}{
		{"a vendor file sorting after ww.toml, warned and lost", "zz-vendor.toml", true},
		{"a vendor file sorting before ww.toml, taken into the drop-in", "aa-vendor.toml", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := containerdCase{files: map[string]string{
				"config.toml":        "version = 2\nimports = ['IMPORTDIR/conf.d/*.toml']\n",
				"conf.d/" + tt.other: "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"example/pause:1\"\n",
			}, dropIn: "conf.d/ww.toml"}
			_, o := writeCase(t, c)
			p := plan(t, o)
			warned := strings.Contains(strings.Join(p.Warnings, "\n"), "containerd 1.x loads "+filepath.Join(filepath.Dir(o.DropIn), tt.other))
			if warned != tt.lost {
				t.Errorf("warned %v, want %v: %q", warned, tt.lost, p.Warnings)
			}
			if err := p.Apply(); err != nil {
				t.Fatal(err)
			}
			h, dump := dumpHandler(t, c16, o.Config, "ww")
			if (h == nil) != tt.lost {
				t.Errorf("the daemon has the handler: %v, want %v", h != nil, !tt.lost)
			}
			if got := lookup(dump, "plugins.io.containerd.grpc.v1.cri.sandbox_image"); got != "example/pause:1" {
				t.Errorf("sandbox_image %v: the vendor file's CRI settings are lost", got)
			}
			want := "version = 2\nimports = ['" + filepath.Dir(o.Config) + "/conf.d/*.toml']\n"
			if data, _ := os.ReadFile(o.Config); string(data) != want {
				t.Errorf("the config, which imports the drop-in already, changed:\n%s", data)
			}
		})
	}
}
