package cribed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	cri "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// PodSpec is what a pod author writes, as the kubelet passes it on.
type PodSpec struct {
	Name, Namespace string
	// Handler is the RuntimeClass handler ("" is the default, runc).
	Handler     string
	Annotations map[string]string
	Labels      map[string]string
}

// ContainerSpec is a container of a pod, running the probe.
type ContainerSpec struct {
	Name string
	// Attempt counts the kubelet's restarts of the container.
	Attempt uint32
	// Args are the probe's arguments ("fds", "serve NAME", "pause"…);
	// nil runs the image's entrypoint.
	Args        []string
	Annotations map[string]string
	Labels      map[string]string
}

// Pod is a running pod sandbox.
type Pod struct {
	ID     string
	Config *cri.PodSandboxConfig
	d      *Daemon
}

// RunPod runs a pod sandbox as the kubelet does.
func (d *Daemon) RunPod(ctx context.Context, s PodSpec) (*Pod, error) {
	uid := make([]byte, 8)
	rand.Read(uid)
	logDir := filepath.Join(d.Dir, "logs", s.Namespace+"_"+s.Name+"_"+hex.EncodeToString(uid))
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, err
	}
	config := &cri.PodSandboxConfig{
		Metadata:     &cri.PodSandboxMetadata{Name: s.Name, Namespace: s.Namespace, Uid: hex.EncodeToString(uid)},
		Hostname:     s.Name,
		LogDirectory: logDir,
		Annotations:  s.Annotations,
		Labels:       s.Labels,
		Linux: &cri.LinuxPodSandboxConfig{SecurityContext: &cri.LinuxSandboxSecurityContext{
			NamespaceOptions: &cri.NamespaceOption{Network: cri.NamespaceMode_POD, Pid: cri.NamespaceMode_CONTAINER, Ipc: cri.NamespaceMode_POD},
		}},
	}
	r, err := d.Runtime.RunPodSandbox(ctx, &cri.RunPodSandboxRequest{Config: config, RuntimeHandler: s.Handler})
	if err != nil {
		return nil, fmt.Errorf("run pod %s/%s (handler %q): %w", s.Namespace, s.Name, s.Handler, err)
	}
	return &Pod{ID: r.PodSandboxId, Config: config, d: d}, nil
}

// Create creates a container in the pod; the runtime is not called yet.
func (p *Pod) Create(ctx context.Context, s ContainerSpec) (string, error) {
	c := &cri.ContainerConfig{
		Metadata:    &cri.ContainerMetadata{Name: s.Name, Attempt: s.Attempt},
		Image:       &cri.ImageSpec{Image: Image},
		LogPath:     logName(s.Name, s.Attempt),
		Annotations: s.Annotations,
		Labels:      s.Labels,
		// The kubelet gives the container the pod's namespace options.
		Linux: &cri.LinuxContainerConfig{SecurityContext: &cri.LinuxContainerSecurityContext{
			NamespaceOptions: p.Config.Linux.SecurityContext.NamespaceOptions,
		}},
	}
	if s.Args != nil {
		c.Command = []string{ProbePath}
		c.Args = s.Args
	}
	r, err := p.d.Runtime.CreateContainer(ctx, &cri.CreateContainerRequest{PodSandboxId: p.ID, Config: c, SandboxConfig: p.Config})
	if err != nil {
		return "", fmt.Errorf("create container %s: %w", s.Name, err)
	}
	return r.ContainerId, nil
}

// Start creates and starts a container: ww runtime's create runs here.
func (p *Pod) Start(ctx context.Context, s ContainerSpec) (string, error) {
	id, err := p.Create(ctx, s)
	if err != nil {
		return "", err
	}
	return id, p.StartContainer(ctx, id)
}

// StartContainer starts a created container.
func (p *Pod) StartContainer(ctx context.Context, id string) error {
	if _, err := p.d.Runtime.StartContainer(ctx, &cri.StartContainerRequest{ContainerId: id}); err != nil {
		return fmt.Errorf("start container %.12s: %w", id, err)
	}
	return nil
}

// StopContainer stops a container, killing it after timeout seconds.
func (p *Pod) StopContainer(ctx context.Context, id string, timeout int64) error {
	if _, err := p.d.Runtime.StopContainer(ctx, &cri.StopContainerRequest{ContainerId: id, Timeout: timeout}); err != nil {
		return fmt.Errorf("stop container %.12s: %w", id, err)
	}
	return nil
}

// RemoveContainer removes a container, as the kubelet does before it
// starts the next attempt.
func (p *Pod) RemoveContainer(ctx context.Context, id string) error {
	if _, err := p.d.Runtime.RemoveContainer(ctx, &cri.RemoveContainerRequest{ContainerId: id}); err != nil {
		return fmt.Errorf("remove container %.12s: %w", id, err)
	}
	return nil
}

// Remove stops and removes the pod and its containers.
func (p *Pod) Remove(ctx context.Context) error {
	_, err := p.d.Runtime.StopPodSandbox(ctx, &cri.StopPodSandboxRequest{PodSandboxId: p.ID})
	if err != nil {
		return fmt.Errorf("stop pod %s: %w", p.Config.Metadata.Name, err)
	}
	if _, err := p.d.Runtime.RemovePodSandbox(ctx, &cri.RemovePodSandboxRequest{PodSandboxId: p.ID}); err != nil {
		return fmt.Errorf("remove pod %s: %w", p.Config.Metadata.Name, err)
	}
	return nil
}

// Wait waits until the container has exited, and returns its status.
func (p *Pod) Wait(ctx context.Context, id string) (*cri.ContainerStatus, error) {
	for {
		r, err := p.d.Runtime.ContainerStatus(ctx, &cri.ContainerStatusRequest{ContainerId: id})
		if err != nil {
			return nil, err
		}
		if r.Status.State == cri.ContainerState_CONTAINER_EXITED {
			return r.Status, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("container %s still %v: %w", r.Status.Metadata.Name, r.Status.State, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// logName is a container's log file in the pod's log folder: NAME.log
// for the first attempt, NAME.N.log for attempt N.
func logName(name string, attempt uint32) string {
	if attempt == 0 {
		return name + ".log"
	}
	return fmt.Sprintf("%s.%d.log", name, attempt)
}

// Log returns the complete lines the first attempt of a container wrote
// to stdout and stderr, in the CRI log format's order, once at least one
// is there.
func (p *Pod) Log(ctx context.Context, name string) ([]string, error) {
	return p.AttemptLog(ctx, name, 0)
}

// AttemptLog is Log of a given attempt of the container.
func (p *Pod) AttemptLog(ctx context.Context, name string, attempt uint32) ([]string, error) {
	path := filepath.Join(p.Config.LogDirectory, logName(name, attempt))
	for {
		b, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		if lines := parseCRILog(string(b)); len(lines) > 0 {
			return lines, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("log %s: nothing written: %w", path, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// parseCRILog joins the CRI log format's lines ("TIME STREAM P|F TEXT")
// into the lines the program wrote; a partial last line is left out.
func parseCRILog(s string) []string {
	var lines []string
	var cur strings.Builder
	for _, l := range strings.Split(s, "\n") {
		f := strings.SplitN(l, " ", 4)
		if len(f) < 3 {
			continue
		}
		text := ""
		if len(f) == 4 {
			text = f[3]
		}
		cur.WriteString(text)
		if f[2] == "F" {
			lines = append(lines, cur.String())
			cur.Reset()
		}
	}
	return lines
}

// SandboxPID returns the pid of the pod's sandbox (pause) process, whose
// namespaces are the pod's.
func (p *Pod) SandboxPID(ctx context.Context) (int, error) {
	r, err := p.d.Runtime.PodSandboxStatus(ctx, &cri.PodSandboxStatusRequest{PodSandboxId: p.ID, Verbose: true})
	if err != nil {
		return 0, err
	}
	var info struct {
		PID int `json:"pid"`
	}
	if err := json.Unmarshal([]byte(r.Info["info"]), &info); err != nil || info.PID <= 0 {
		return 0, fmt.Errorf("pod %s: no pid in its status (%v)", p.ID, err)
	}
	return info.PID, nil
}
