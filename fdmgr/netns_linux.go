package fdmgr

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// bindsInNetNS reports whether s is a socket bound in a network namespace
// rather than at a path of the file system: a listener on an IP network,
// or on an abstract unix address.
func bindsInNetNS(s Source) bool {
	if s.Kind != SourceListen {
		return false
	}
	return s.Network != "unix" || s.Abstract()
}

// netnsThread opens sockets inside a network namespace: a goroutine
// locked to an OS thread that has entered the namespace, for which it
// runs each function it is given. The thread is never unlocked, so the Go
// runtime ends it when the goroutine returns: no other goroutine ever
// runs in that namespace.
type netnsThread struct {
	work chan func()
	done chan struct{}
}

// enterNetNS starts a thread in the network namespace at path (such as
// /proc/PID/ns/net or a file that ip-netns(8) bind-mounted).
func enterNetNS(path string) (*netnsThread, error) {
	t := &netnsThread{work: make(chan func()), done: make(chan struct{})}
	errc := make(chan error, 1)
	go t.serve(path, errc)
	if err := <-errc; err != nil {
		<-t.done
		return nil, fmt.Errorf("enter network namespace %q: %w", path, err)
	}
	return t, nil
}

// serve enters the namespace on its own locked thread and runs the work.
// The Go runtime cannot end the process's main thread: it would park it
// for good instead, in the namespace, where /proc/self/ns/net would then
// point. So a goroutine that finds itself on the main thread holds it,
// which sends the next goroutine to another thread, and hands the work on.
func (t *netnsThread) serve(path string, errc chan<- error) {
	runtime.LockOSThread() // and never unlocked: see netnsThread
	if unix.Gettid() == unix.Getpid() {
		go t.serve(path, errc)
		<-t.done
		runtime.UnlockOSThread()
		return
	}
	defer close(t.done)
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		unix.Close(fd)
	}
	errc <- err
	if err != nil {
		return
	}
	for f := range t.work {
		f()
	}
}

// run runs f in the namespace and returns once it is done.
func (t *netnsThread) run(f func()) {
	ran := make(chan struct{})
	t.work <- func() { f(); close(ran) }
	<-ran
}

// stop ends the thread. It may be called on a nil thread.
func (t *netnsThread) stop() {
	if t == nil {
		return
	}
	close(t.work)
	<-t.done
}
