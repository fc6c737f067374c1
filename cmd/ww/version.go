package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is set by the linker (-X main.version=…) for builds outside a
// module version, such as the image's; the build info's version wins.
var version = ""

// versionCommand is ww version and ww --version: ww's version, the commit
// it was built from and the Go that built it, from the build info.
func versionCommand(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return usageErrf("version: unexpected argument %q", args[0])
	}
	fmt.Fprintln(stdout, versionLine())
	return nil
}

func versionLine() string {
	v, commit, modified := version, "unknown", ""
	goVersion := runtime.Version()
	if info, ok := debug.ReadBuildInfo(); ok {
		if mv := info.Main.Version; mv != "" && mv != "(devel)" {
			v = mv
		}
		goVersion = info.GoVersion
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision":
				commit = s.Value
			case s.Key == "vcs.modified" && s.Value == "true":
				modified = " (modified)"
			}
		}
	}
	if v == "" {
		v = "devel"
	}
	return fmt.Sprintf("ww %s commit %s%s %s %s/%s", v, commit, modified, goVersion, runtime.GOOS, runtime.GOARCH)
}
