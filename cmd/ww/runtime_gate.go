package main

import (
	"github.com/ww-dev/ww/spec"
)

// gate is the second part of the runtime path: it judges every request
// of a container before anything is opened. A refusal fails the create
// with nothing opened and the config untouched; its error names the
// annotation, the source and the reason.
type gate interface {
	judge(c *createRequest, r spec.FDRequest) error
}

// openGate grants every request: the runtime's behaviour where no node
// policy judges.
type openGate struct{}

func (openGate) judge(*createRequest, spec.FDRequest) error { return nil }

// judgeAll asks g about every request, in order, and stops at the first
// refusal.
func judgeAll(g gate, c *createRequest) error {
	for _, r := range c.reqs.FDs {
		if err := g.judge(c, r); err != nil {
			return err
		}
	}
	return nil
}
