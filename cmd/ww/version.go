package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version and commit are set by the linker (-X main.version=…) where
// the build info lacks them: a build from a folder that is not a module
// version, or without its git history, such as the image's. The build
// info's values win.
var (
	version = ""
	commit  = ""
)

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
	v, c, modified := version, commit, ""
	goVersion := runtime.Version()
	if info, ok := debug.ReadBuildInfo(); ok {
		if mv := info.Main.Version; mv != "" && mv != "(devel)" {
			v = mv
		}
		goVersion = info.GoVersion
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision":
				c = s.Value
			case s.Key == "vcs.modified" && s.Value == "true":
				modified = " (modified)"
			}
		}
	}
	if v == "" {
		v = "devel"
	}
	if c == "" {
		c = "unknown"
	}
	return fmt.Sprintf("ww %s commit %s%s %s %s/%s", v, c, modified, goVersion, runtime.GOOS, runtime.GOARCH)
}
