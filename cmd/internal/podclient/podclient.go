// Package podclient is the client of the restart tests and benchmark: it
// connects in a tight loop to an address inside a pod's network
// namespace, as a peer of the pod would, and keeps every outcome. The
// server it expects is the probe in answer mode, which writes one line,
// "PID START INODE", to each connection.
package podclient

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
)

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

// Start starts a client of addr (such as 127.0.0.1:8080) inside the
// network namespace at netns (such as /proc/PID/ns/net). Stop ends it.
func Start(netns, addr string) (*Client, error) {
	c := &Client{stop: make(chan struct{}), done: make(chan struct{})}
	ready := make(chan error)
	go c.run(netns, addr, ready)
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

// Result is what a client saw.
type Result struct {
	Answers []Answer
	Refused int
	Errors  []error
}

// Stop ends the client and returns what it saw. It may be called again.
func (c *Client) Stop() Result {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	return Result{Answers: c.answers, Refused: c.refused, Errors: c.errs}
}
