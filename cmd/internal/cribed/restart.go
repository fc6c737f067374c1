package cribed

import (
	"context"
	"strconv"
	"time"

	"github.com/ww-dev/ww/cmd/internal/podclient"
)

// Restart restarts container id of the pod as the kubelet does after a
// crash or a failed probe: StopContainer (SIGTERM, then SIGKILL after
// grace), RemoveContainer, CreateContainer of s (whose Attempt the caller
// counts up), StartContainer. It returns the new container's ID.
func (p *Pod) Restart(ctx context.Context, id string, s ContainerSpec, grace time.Duration) (string, error) {
	if err := p.StopContainer(ctx, id, int64(grace/time.Second)); err != nil {
		return "", err
	}
	if err := p.RemoveContainer(ctx, id); err != nil {
		return "", err
	}
	return p.Start(ctx, s)
}

// StartClient starts a client of addr (such as 127.0.0.1:8080) inside the
// pod's network namespace.
func (p *Pod) StartClient(ctx context.Context, addr string) (*podclient.Client, error) {
	pid, err := p.SandboxPID(ctx)
	if err != nil {
		return nil, err
	}
	return podclient.Start("/proc/"+strconv.Itoa(pid)+"/ns/net", addr)
}
