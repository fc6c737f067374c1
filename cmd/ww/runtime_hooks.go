package main

import (
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ww-dev/ww/hook"
	"github.com/ww-dev/ww/spec"
)

// hookTimeout is the timeout, in seconds, of the hooks ww runtime adds.
const hookTimeout = 10

// hookEnv is the whole environment of ww's hooks: nothing of the
// container's or the runtime's reaches them but the records folder.
const hookEnv = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// hookEdits are the edits that add ww hook's createRuntime and poststop
// hooks to the config, when the node policy asks for them (hooks: true):
// engines without a hooks.d folder (containerd) then get the proof of
// delivery and the cleanup at the container's end too.
func hookEdits(c *createRequest) []spec.Modifier {
	if !c.hooks {
		return nil
	}
	return []spec.Modifier{wwHooks{env: os.Environ()}}
}

// wwHooks adds ww's hooks to a spec, each unless it is there already (from
// a hooks.d folder, or an earlier create of the bundle).
type wwHooks struct {
	env []string // ww runtime's, for the records folder it uses
}

var _ spec.Modifier = wwHooks{}

// Modify adds the hooks.
func (h wwHooks) Modify(s *specs.Spec) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("hooks: ww's own path: %w", err)
	}
	env := []string{hookEnv}
	if dir := hook.DirFromEnv(h.env); dir != hook.DefaultDir {
		env = append(env, hook.DirEnv+"="+dir)
	}
	if s.Hooks == nil {
		s.Hooks = &specs.Hooks{}
	}
	add := func(hooks []specs.Hook, stage string) []specs.Hook {
		for _, k := range hooks {
			if len(k.Args) == 3 && k.Args[1] == "hook" && k.Args[2] == stage {
				return hooks
			}
		}
		timeout := hookTimeout
		return append(hooks, specs.Hook{Path: self, Args: []string{"ww", "hook", stage}, Env: env, Timeout: &timeout})
	}
	s.Hooks.CreateRuntime = add(s.Hooks.CreateRuntime, stageCreateRuntime)
	s.Hooks.Poststop = add(s.Hooks.Poststop, stagePoststop)
	return nil
}
