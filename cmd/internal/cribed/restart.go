package cribed

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	cri "k8s.io/cri-api/pkg/apis/runtime/v1"
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

// Answer is one line that a probe in answer mode wrote to a connection:
// when it came, the probe's start (Unix nanoseconds, which tells one
// process from the next) and its listener's inode.
type Answer struct {
	At    time.Time
	Start int64
	Inode string
}

// Client connects in a tight loop to an address from inside a pod's
// network namespace, as a peer of the pod would, and keeps every
// outcome: answers, refusals, other errors.
type Client struct {
	stop chan struct{}
	done chan struct{}

	mu      sync.Mutex
	answers []Answer
	refused int
	errs    []error
}

// StartClient starts a client of addr (such as 127.0.0.1:8080) inside the
// pod's network namespace. Stop ends it.
func (p *Pod) StartClient(ctx context.Context, addr string) (*Client, error) {
	pid, err := p.SandboxPID(ctx)
	if err != nil {
		return nil, err
	}
	c := &Client{stop: make(chan struct{}), done: make(chan struct{})}
	ready := make(chan error)
	go c.run("/proc/"+strconv.Itoa(pid)+"/ns/net", addr, ready)
	if err := <-ready; err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Client) run(netns, addr string, ready chan<- error) {
	defer close(c.done)
	// The thread stays in the namespace: never unlocked, it ends with the
	// goroutine.
	runtime.LockOSThread()
	fd, err := unix.Open(netns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		unix.Close(fd)
	}
	ready <- err
	if err != nil {
		return
	}
	for {
		select {
		case <-c.stop:
			return
		default:
		}
		a, err := ask(addr)
		c.mu.Lock()
		switch {
		case err == nil:
			c.answers = append(c.answers, a)
		case errors.Is(err, syscall.ECONNREFUSED):
			c.refused++
		default:
			c.errs = append(c.errs, err)
		}
		c.mu.Unlock()
	}
}

// ask makes one connection and reads the answer's line.
func ask(addr string) (Answer, error) {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return Answer{}, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return Answer{}, fmt.Errorf("read: %w", err)
	}
	f := strings.Fields(line)
	start, serr := int64(0), error(nil)
	if len(f) == 3 {
		start, serr = strconv.ParseInt(f[1], 10, 64)
	}
	if len(f) != 3 || serr != nil {
		return Answer{}, fmt.Errorf("answer %q is not PID START INODE", line)
	}
	return Answer{At: time.Now(), Start: start, Inode: f[2]}, nil
}

// WaitAnswerAfter waits for the first answer from a process started after
// since (0: any), and returns it.
func (c *Client) WaitAnswerAfter(ctx context.Context, since int64) (Answer, error) {
	seen := 0
	for {
		c.mu.Lock()
		for ; seen < len(c.answers); seen++ {
			if a := c.answers[seen]; a.Start > since {
				c.mu.Unlock()
				return a, nil
			}
		}
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return Answer{}, fmt.Errorf("no answer from a process started after %d: %w", since, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

// ClientResult is what a client saw.
type ClientResult struct {
	Answers []Answer
	Refused int
	Errors  []error
}

// Stop ends the client and returns what it saw. It may be called again.
func (c *Client) Stop() ClientResult {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	return ClientResult{Answers: c.answers, Refused: c.refused, Errors: c.errs}
}
