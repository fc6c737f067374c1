package cribed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	cri "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Options say what daemon to start.
type Options struct {
	// Flavor is the containerd to run.
	Flavor Flavor
	// Probe is the static probe (cmd/internal/probe) the image is made of.
	Probe string
	// Floor, when set, is the BinaryName of the "floor" handler: a
	// program that only execs runc.
	Floor string
	// Handlers are more handlers written into the configuration.
	Handlers []Handler
	// Install, when set, edits the daemon's configuration file
	// (d.Config) before the daemon starts, e.g. by running `ww install
	// containerd --config`, or by AddHandler.
	Install func(d *Daemon) error
	// Env is added to the daemon's environment, and so to the shims' and
	// the runtimes' (WW_POLICY=…).
	Env []string
	// Log, when set, receives the daemon's output.
	Log *os.File
}

// Daemon is a running containerd with its CRI clients.
type Daemon struct {
	Flavor Flavor
	// Slot numbers the daemon among those running on the machine: its
	// bridge, its range of pod addresses and its state folder.
	Slot int
	// Dir holds the daemon's root, configuration, CNI configuration and
	// pod logs; State its state (sockets, bundles, network namespaces).
	// Both are the slot's own, removed by Close and by the next Start of
	// the slot.
	Dir, State string
	// Config is the configuration file the daemon read.
	Config string
	// Socket is the daemon's gRPC socket.
	Socket string

	Runtime cri.RuntimeServiceClient
	Images  cri.ImageServiceClient

	conn   *grpc.ClientConn
	cmd    *exec.Cmd
	cgroup cgroup
	done   chan struct{}
	lock   *os.File
	env    []string
}

// slotDir holds one lock file per slot, and the slots' state folders.
const slotDir = "/run/ww-cribed"

// maxSlots bounds the slots, and so the daemons at once on a machine.
const maxSlots = 64

// Start starts a daemon, loads the probe's image and returns once the
// CRI answers. On error, nothing it started is left.
func Start(ctx context.Context, o Options) (_ *Daemon, err error) {
	d := &Daemon{Flavor: o.Flavor}
	if d.Slot, d.lock, err = takeSlot(); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	d.State = filepath.Join(slotDir, strconv.Itoa(d.Slot))
	d.cgroup = cgroupOf(d.Slot)
	d.Socket = filepath.Join(d.State, "containerd.sock")
	d.Dir = filepath.Join(os.TempDir(), "ww-cribed-"+strconv.Itoa(d.Slot))
	// What a daemon of this slot left, had its test process died.
	if err := cleanSlot(d.Slot, d.State, d.Socket); err != nil {
		return nil, err
	}
	if err := errors.Join(unmountBeneath(d.Dir), os.RemoveAll(d.Dir)); err != nil {
		return nil, err
	}
	if err := os.Mkdir(d.Dir, 0o700); err != nil {
		return nil, err
	}
	if err := d.writeConfig(o); err != nil {
		return nil, err
	}
	// The 2.x daemon must find its own shim before Debian's.
	d.env = append([]string{"PATH=" + filepath.Dir(o.Flavor.Shim) + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, o.Env...)
	if err := d.start(ctx, o.Log); err != nil {
		return nil, err
	}
	archive := filepath.Join(d.Dir, "probe.tar")
	if err := WriteImage(archive, o.Probe); err != nil {
		return nil, err
	}
	if err := d.importImage(archive); err != nil {
		return nil, err
	}
	if err := d.waitImage(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// writeConfig makes the daemon's folders and writes its CNI network and
// its configuration, which o.Install then edits.
func (d *Daemon) writeConfig(o Options) error {
	p := paths{root: filepath.Join(d.Dir, "root"), state: d.State, sock: d.Socket,
		cniConf: filepath.Join(d.Dir, "cni"), opt: filepath.Join(d.Dir, "opt")}
	for _, dir := range []string{p.root, p.state, p.cniConf, p.opt, filepath.Join(d.Dir, "logs")} {
		if err := os.MkdirAll(dir, 0o711); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(p.cniConf, "10-ww.conflist"),
		[]byte(cniConfig(d.Slot, filepath.Join(d.Dir, "ipam"))), 0o644); err != nil {
		return err
	}
	handlers := o.Handlers
	if o.Floor != "" {
		handlers = append([]Handler{{Name: "floor", BinaryName: o.Floor}}, handlers...)
	}
	d.Config = filepath.Join(d.Dir, "config.toml")
	if err := os.WriteFile(d.Config, []byte(o.Flavor.baseConfig(p, Image, handlers)), 0o644); err != nil {
		return err
	}
	if o.Install != nil {
		if err := o.Install(d); err != nil {
			return fmt.Errorf("install into %s: %w", d.Config, err)
		}
	}
	return nil
}

func (d *Daemon) start(ctx context.Context, log *os.File) error {
	d.cmd = exec.Command(d.Flavor.Containerd, "--config", d.Config)
	d.cmd.Env = d.env
	d.cmd.Stdout, d.cmd.Stderr = log, log
	// Should the test process die, so does the daemon; Close or the next
	// Start of the slot removes the rest. The death signal comes when the
	// thread that forked the daemon ends, and Go ends threads that a
	// goroutine leaves locked (as one that entered a pod's network does):
	// the daemon is forked from a thread locked until it exits.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	d.done = make(chan struct{})
	started := make(chan error, 1)
	go func() {
		defer close(d.done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := d.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		d.cmd.Wait()
	}()
	if err := <-started; err != nil {
		return err
	}
	// Without the cgroup, only CPU fails.
	if err := d.cgroup.enter(d.cmd.Process.Pid); err != nil {
		d.cgroup.err = fmt.Errorf("cgroup %s: %w", d.cgroup.dir, err)
	}
	conn, err := grpc.NewClient("unix://"+d.Socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	d.conn = conn
	d.Runtime, d.Images = cri.NewRuntimeServiceClient(conn), cri.NewImageServiceClient(conn)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		_, err := d.Runtime.Version(ctx, &cri.VersionRequest{})
		if err == nil {
			return nil
		}
		select {
		case <-d.done:
			return fmt.Errorf("%s --config %s exited: %v", d.Flavor.Containerd, d.Config, d.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("containerd's CRI at %s: %w", d.Socket, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitImage waits until the CRI's ImageService knows the image, as the
// kubelet asks before it creates a container: the CRI plugin learns of
// an image that ctr imported from an event, a moment later.
func (d *Daemon) waitImage(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		st, err := d.Images.ImageStatus(ctx, &cri.ImageStatusRequest{Image: &cri.ImageSpec{Image: Image}})
		if err != nil {
			return fmt.Errorf("image status of %s: %w", Image, err)
		}
		if st.Image != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the CRI does not see %s after ctr images import: %w", Image, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// AddHandler appends a handler to the daemon's configuration, in the
// shape `ww install` writes, before the daemon starts.
func (d *Daemon) AddHandler(h Handler) error {
	f, err := os.OpenFile(d.Config, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(d.Flavor.handlerTOML(h, filepath.Join(d.State, "runc")))
	return errors.Join(err, f.Close())
}

// ctr runs the daemon's ctr in the CRI's namespace.
func (d *Daemon) ctr(args ...string) ([]byte, error) {
	cmd := exec.Command(d.Flavor.Ctr, append([]string{"--address", d.Socket, "--namespace", "k8s.io"}, args...)...)
	cmd.Env = d.env
	return cmd.CombinedOutput()
}

// Close removes every pod, stops the daemon and its shims, and removes
// its mounts, bridge and folders. It returns the first thing it could
// not remove.
func (d *Daemon) Close() error {
	var errs []error
	if d.conn != nil {
		errs = append(errs, d.RemoveAllPods())
		d.conn.Close()
	}
	if d.cmd != nil && d.cmd.Process != nil {
		d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.done:
		case <-time.After(10 * time.Second):
			d.cmd.Process.Kill()
			<-d.done
		}
	}
	if d.lock != nil {
		errs = append(errs, cleanSlot(d.Slot, d.State, d.Socket))
		if d.Dir != "" {
			errs = append(errs, unmountBeneath(d.Dir), os.RemoveAll(d.Dir))
		}
		d.lock.Close()
	}
	return errors.Join(errs...)
}

// RemoveAllPods stops and removes every pod sandbox of the daemon.
func (d *Daemon) RemoveAllPods() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pods, err := d.Runtime.ListPodSandbox(ctx, &cri.ListPodSandboxRequest{})
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range pods.Items {
		if _, err := d.Runtime.StopPodSandbox(ctx, &cri.StopPodSandboxRequest{PodSandboxId: p.Id}); err != nil {
			errs = append(errs, err)
		}
		if _, err := d.Runtime.RemovePodSandbox(ctx, &cri.RemovePodSandboxRequest{PodSandboxId: p.Id}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// takeSlot locks the first free slot's lock file; the lock lasts as long
// as the file stays open.
func takeSlot() (int, *os.File, error) {
	if err := os.MkdirAll(slotDir, 0o700); err != nil {
		return 0, nil, err
	}
	for slot := 0; slot < maxSlots; slot++ {
		f, err := os.OpenFile(filepath.Join(slotDir, strconv.Itoa(slot)+".lock"), os.O_RDWR|os.O_CREATE|syscall.O_CLOEXEC, 0o600)
		if err != nil {
			return 0, nil, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
			return slot, f, nil
		}
		f.Close()
	}
	return 0, nil, fmt.Errorf("all %d slots in %s are taken", maxSlots, slotDir)
}

// cleanSlot removes what a daemon of the slot left: the processes that
// name its socket (the daemon, shims), mounts beneath its state, its
// state folder, its cgroup and its bridge.
func cleanSlot(slot int, state, socket string) error {
	killNaming(socket)
	var errs []error
	// What killed shims and CNI plugins leave outside the state folder.
	tasks, _ := os.ReadDir(filepath.Join(state, "io.containerd.runtime.v2.task", "k8s.io"))
	for _, t := range tasks {
		errs = append(errs, removeOutside(socket, t.Name()))
	}
	errs = append(errs, unmountBeneath(state), os.RemoveAll(state), cgroupOf(slot).remove())
	if _, err := os.Stat("/sys/class/net/" + BridgeName(slot)); err == nil {
		if out, err := exec.Command("ip", "link", "del", BridgeName(slot)).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("ip link del %s: %v: %s", BridgeName(slot), err, strings.TrimSpace(string(out))))
		}
	}
	return errors.Join(errs...)
}

// removeOutside removes what a shim or a CNI plugin killed before its
// end left of container id outside the daemon's folders: the shim's
// socket, /run/containerd/s/HASH of (socket, namespace, id), as both
// containerd versions name it, and the CNI result cache.
func removeOutside(socket, id string) error {
	sum := sha256.Sum256([]byte(filepath.Join(socket, "k8s.io", id)))
	err := os.Remove(filepath.Join("/run/containerd/s", hex.EncodeToString(sum[:])))
	if errors.Is(err, os.ErrNotExist) {
		err = nil
	}
	cached, _ := filepath.Glob(filepath.Join("/var/lib/cni/results", "*-"+id+"-*"))
	for _, f := range cached {
		err = errors.Join(err, os.Remove(f))
	}
	return err
}
