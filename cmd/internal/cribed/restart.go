package cribed

import (
	"context"
	"fmt"
	"strconv"
	"time"

	cri "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ww-dev/ww/cmd/internal/podclient"
)

// Restart restarts container id of the pod as the kubelet does after a
// crash or a failed probe: StopContainer (SIGTERM, then SIGKILL after
// grace), RemoveContainer, CreateContainer of s (whose Attempt the caller
// counts up), StartContainer. It returns the new container's ID.
func (p *Pod) Restart(ctx context.Context, id string, s ContainerSpec, grace time.Duration) (string, error) {
	if _, err := p.d.Runtime.StopContainer(ctx, &cri.StopContainerRequest{ContainerId: id, Timeout: int64(grace / time.Second)}); err != nil {
		return "", fmt.Errorf("stop container %.12s: %w", id, err)
	}
	if _, err := p.d.Runtime.RemoveContainer(ctx, &cri.RemoveContainerRequest{ContainerId: id}); err != nil {
		return "", fmt.Errorf("remove container %.12s: %w", id, err)
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
