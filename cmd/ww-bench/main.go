// Command ww-bench times whole runs of ww, from fork to wait, against the
// least a Go program that hands over an fd can cost, and against itself
// with many fds, and prints medians and ratios. It is a report, not a
// test: a missed target is printed, and only a command that fails to run
// makes it exit with a status other than 0.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
)

func main() {
	os.Exit(exitCode(run(os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

// errUsage marks bad flags that the flag package has reported already.
var errUsage = errors.New("usage")

// usageError is a bad flag value: reported, then status 2.
type usageError struct{ error }

func usageErrorf(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "ww-bench: %v\n", err)
		return 2
	}
	fmt.Fprintf(stderr, "ww-bench: %v\n", err)
	return 1
}

// options are the driver's flags.
type options struct {
	plan
	ww, launcher, trueBin, socketActivate string
	// The container ratios: the runtime, the two programs the driver
	// builds for them, and their own rounds and runs.
	runc, execRunc, nop            string
	containerRounds, containerRuns int
	ownRounds, ownRuns             int
	// The peer wrapper, and where -nvidia-build builds it.
	nvidia, nvidiaBuild string
	// criRounds are the pod cycles' rounds.
	criRounds int
	only      *regexp.Regexp
}

const usageText = `usage: ww-bench [flags]

Times whole runs of commands (fork, exec and wait, from this driver), taking
turns between the cases, and prints each case's median, p10 and p90, then
ratios of medians with their targets:

  ww x=0 / launcher               ww run --with-fd x=0 -- /bin/true against a
                                  minimal Go launcher that starts /bin/true
                                  with one extra fd (target ≤ 1.10)
  ww 1000 fds / ww 1 fd           ww run with 1000 named fds, handed to ww at
                                  3–1002, against 1 (target ≤ 2.00)
  ww --systemd / socket-activate  ww run --systemd with a TCP listener against
                                  systemd-socket-activate (target ≤ 1.00)

and, reported only: launcher / true (Go's start-up), true 1000 fds / true
(what handing 1000 fds costs the kernel and the driver) and ww 100 fds / ww 1 fd.

Then, as root and with runc, containers whose process exits at once (nop),
with fewer runs as each takes milliseconds:

  ww runtime run / execrunc run      runc run of a container through ww
                                     runtime, with two fds its annotations
                                     ask for, against execrunc, a Go program
                                     that only execs runc (target ≤ 1.03);
                                     with 20 fds (≤ 1.06); both again with
                                     the bundle on a disk
  ww runtime state / execrunc state  a call ww runtime passes through, the
                                     same way (target ≤ 1.02); delete (of a
                                     container created untimed before each
                                     run) and features alike

  ww hooks / Go floor hooks          the same ww runtime run with ww hook
                                     createRuntime and poststop in the config
                                     (the proof and the cleanup) against two
                                     hooks that are a Go program that only
                                     reads its stdin (target ≤ 1.05)

and, reported only, execrunc against runc itself, the floor hooks against
none, and the peer wrapper nvidia-container-runtime when it is found (-nvidia, or built by
-nvidia-build DIR; skipped with a line otherwise). The bundles' config.json
files are on /dev/shm when it is a tmpfs, as container engines keep theirs
under /run, and for the disk rows in $TMPDIR or /var/tmp on a disk, as
Podman keeps its bundles under /var/lib/containers.

Whole runs of runc wander by a few per cent, so ww runtime's own cost is
timed too: each call with /bin/true as the lower runtime (WW_LOWER_RUNTIME)
against execrunc exec'ing /bin/true (the "own cost" rows, -own-rounds and
-own-runs), and each target is printed as (F + own cost) / F, F being
execrunc's median for the same call with runc. -run 'target: state' picks
one target and the cases it needs.

Then, as root, for each containerd found (Debian's 1.6, and 2.x where
.ci/deps built it), a pod cycle through the CRI as the kubelet drives it
(RunPodSandbox, CreateContainer, StartContainer, StopPodSandbox,
RemovePodSandbox), on a daemon of its own:

  pod cycle ww / floor     through a handler whose BinaryName is ww-runtime,
                           the pod asking for two fds, against one whose
                           BinaryName is execrunc built to exec runc
                           (target ≤ 1.03)
  pod cycle floor / runc   the floor against runc itself (reported only)

and how many runtime calls one cycle makes, counted in a separate cycle
through a script that records each call and execs ww-runtime.

Then, as root, for each containerd found, container restarts as the
kubelet restarts a container (StopContainer, RemoveContainer,
CreateContainer with attempt+1, StartContainer; 5 per loop, -cri-rounds
loops each) while a client connects in a tight loop from inside the pod's
network: the connections refused, failed and answered, and

  restart to answer ww / floor   the time from StopContainer to the new
                                 process's first answer, through the ww
                                 handler with the pod's listener held by
                                 its sandbox, against the floor handler
                                 with a container that binds its own
                                 (target ≤ 1.03)

The socket-activation ratio is skipped, with a note, when ww run --systemd
fails once or systemd-socket-activate is missing. systemd-socket-activate
takes no port 0 and starts its program only after a first connection: the
driver gives it a port that was free at start and connects to it once per
run, which its time includes.

Without -ww, -launcher, -execrunc and -nop it builds them with go build
(run it inside the module). A missed target is reported, not an error; a measured command that
fails is an error (status 1). The fds a case hands over are opened before and
closed after each run, outside the time, so that the other cases do not pay
for them. Before the first run, the page cache of every program a case starts
is dropped (once written back), so that each is loaded as exec loads it from
disk: how a binary was written (the Go linker's shared mapping, or cp's
write(2) and its large folios) otherwise changes how fast it starts.

flags:
`

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	var only string
	fs := flag.NewFlagSet("ww-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.ww, "ww", "", "path of the ww binary to time (built if empty)")
	fs.StringVar(&o.launcher, "launcher", "", "path of the launcher binary (built if empty)")
	fs.StringVar(&o.trueBin, "true", "/bin/true", "path of the program every case starts")
	fs.StringVar(&o.socketActivate, "socket-activate", "/usr/bin/systemd-socket-activate", "path of systemd-socket-activate")
	fs.StringVar(&o.runc, "runc", "runc", "OCI runtime of the container ratios, a path or a name in PATH")
	fs.StringVar(&o.execRunc, "execrunc", "", "path of the execrunc binary (built if empty)")
	fs.StringVar(&o.nop, "nop", "", "path of the nop binary, the containers' process (built if empty)")
	fs.IntVar(&o.containerRounds, "container-rounds", 4, "rounds of the container ratios")
	fs.IntVar(&o.containerRuns, "container-runs", 5, "runs of each container case per round")
	fs.IntVar(&o.criRounds, "cri-rounds", 10, "rounds of the pod cycles; each runs every handler twice")
	fs.IntVar(&o.ownRounds, "own-rounds", 5, "rounds of ww runtime's own cost (lower runtime /bin/true)")
	fs.IntVar(&o.ownRuns, "own-runs", 100, "runs of each own-cost case per round")
	fs.StringVar(&o.nvidia, "nvidia", "nvidia-container-runtime", "peer wrapper timed beside ww runtime when found, a path or a name in PATH")
	fs.StringVar(&o.nvidiaBuild, "nvidia-build", "", "build the peer wrapper (cgo) from the module proxy into `DIR` when DIR lacks it, and time it")
	fs.IntVar(&o.rounds, "rounds", 7, "rounds; each runs every case -runs times")
	fs.IntVar(&o.runs, "runs", 200, "runs of each case per round")
	fs.IntVar(&o.warmup, "warmup", 20, "untimed runs of each case first")
	fs.StringVar(&only, "run", "", "run only the ratios whose name matches this regular expression")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, errUsage
	}
	switch {
	case fs.NArg() > 0:
		return o, usageErrorf("unexpected argument %q (ww-bench takes flags only)", fs.Arg(0))
	case o.rounds < 1:
		return o, usageErrorf("-rounds %d: must be at least 1", o.rounds)
	case o.runs < 1:
		return o, usageErrorf("-runs %d: must be at least 1", o.runs)
	case o.warmup < 0:
		return o, usageErrorf("-warmup %d: must not be negative", o.warmup)
	case o.containerRounds < 1:
		return o, usageErrorf("-container-rounds %d: must be at least 1", o.containerRounds)
	case o.containerRuns < 1:
		return o, usageErrorf("-container-runs %d: must be at least 1", o.containerRuns)
	case o.criRounds < 1:
		return o, usageErrorf("-cri-rounds %d: must be at least 1", o.criRounds)
	case o.ownRounds < 1 || o.ownRuns < 1:
		return o, usageErrorf("-own-rounds %d, -own-runs %d: both must be at least 1", o.ownRounds, o.ownRuns)
	case (o.ww == "") != (o.launcher == "") || (o.ww == "") != (o.execRunc == "") || (o.ww == "") != (o.nop == ""):
		return o, usageErrorf("-ww, -launcher, -execrunc and -nop go together: give all or none")
	}
	re, err := regexp.Compile(only)
	if err != nil {
		return o, usageErrorf("-run %q: %w", only, err)
	}
	o.only = re
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if o.ww == "" {
		dir, err := os.MkdirTemp("", "ww-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if o.ww, o.launcher, o.execRunc, o.nop, err = buildTools(dir, stderr); err != nil {
			return err
		}
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	cases, comparisons := table(tools{
		ww: o.ww, launcher: o.launcher, trueBin: o.trueBin,
		socketActivate: o.socketActivate, activatePort: port,
	})
	hostRatios := selected(comparisons, o.only)
	containerRatios := containerSelection(o.only)
	criRatios := selected(criComparisons(), o.only)
	restartRatios := selected(restartComparisons(), o.only)
	if len(hostRatios)+len(containerRatios)+len(criRatios)+len(restartRatios) == 0 {
		return usageErrorf("-run %q: matches no ratio", o.only)
	}
	if len(hostRatios) > 0 {
		if err := bench(o, cases, hostRatios, stdout, stderr); err != nil {
			return err
		}
	}
	if len(containerRatios) > 0 {
		if err := benchContainers(o, containerRatios, stdout, stderr); err != nil {
			return err
		}
	}
	if len(criRatios) > 0 {
		if err := benchCRI(o, criRatios, stdout, stderr); err != nil {
			return err
		}
	}
	if len(restartRatios) > 0 {
		return benchRestarts(o, restartRatios, stdout, stderr)
	}
	return nil
}

// selected returns the comparisons whose name matches re.
func selected(comparisons []comparison, re *regexp.Regexp) []comparison {
	var out []comparison
	for _, c := range comparisons {
		if re.MatchString(c.name) {
			out = append(out, c)
		}
	}
	return out
}
