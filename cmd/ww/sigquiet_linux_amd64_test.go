package main

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A thread inside a signal handler has SIGURG blocked; one that blocks
// it stands in for such a handler that has not returned yet.
func TestWaitRuntimeHandlersWaitsForThreadInHandler(t *testing.T) {
	inHandler, leave, left := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(left)
		runtime.LockOSThread() // the thread ends with the goroutine
		var urg unix.Sigset_t
		urg.Val[0] = 1 << (unix.SIGURG - 1)
		if err := unix.PthreadSigmask(unix.SIG_BLOCK, &urg, nil); err != nil {
			t.Error(err)
		}
		close(inHandler)
		<-leave
		unix.PthreadSigmask(unix.SIG_UNBLOCK, &urg, nil)
	}()
	<-inHandler
	done := make(chan struct{})
	go func() {
		waitRuntimeHandlers()
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("waitRuntimeHandlers returned while a thread had SIGURG blocked")
	case <-time.After(100 * time.Millisecond):
	}
	start := time.Now()
	close(leave)
	<-left
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("waitRuntimeHandlers still waiting 5 s after the thread unblocked SIGURG")
	}
	// It gives up only after a second: it saw the thread leave.
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("waitRuntimeHandlers returned %v after the thread unblocked SIGURG, want well under a second", d)
	}
}
