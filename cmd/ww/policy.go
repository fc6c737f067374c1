package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ww-dev/ww/policy"
	"github.com/ww-dev/ww/spec"
)

const policyUsage = `Usage:
  ww policy check [FILE]
  ww policy test --namespace NS [--policy FILE] [--network own|host|none|PATH] KEY=SOURCE...

check validates the node policy that ww runtime would use (FILE, else
$` + policy.PathEnv + `, else ` + policy.DefaultPath + `) and prints what it grants, per
namespace. No file at $` + policy.PathEnv + ` or the default path means the built-in
default policy; a FILE named here must exist.

test says, opening nothing, what ww runtime would do with each annotation
KEY=SOURCE of a container in namespace NS (a Kubernetes namespace, or
` + policy.Local + ` for a container outside Kubernetes), and why. KEY is an annotation
key (fd.ww.dev/db) or an fd name (db). Exit status: 0 if every request is
granted, 1 if one is refused, 2 on bad input.
`

// policyCommand is ww policy.
func policyCommand(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, policyUsage)
		return nil
	}
	switch args[0] {
	case "check":
		return policyCheck(args[1:], stdout)
	case "test":
		return policyTest(args[1:], stdout)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, policyUsage)
		return nil
	}
	return usageErrf("unknown policy command %q (see ww policy --help)", args[0])
}

// policyPath is the policy file that ww runtime would read: flag, if set,
// as an absolute path, else the environment's choice.
func policyPath(flagName, flagValue string) (string, error) {
	if flagValue != "" {
		abs, err := filepath.Abs(flagValue)
		if err != nil {
			return "", usageErrf("%s %q: %v", flagName, flagValue, err)
		}
		return abs, nil
	}
	path, err := policy.PathFromEnv(os.Environ())
	if err != nil {
		return "", usageErr(err)
	}
	return path, nil
}

// policyTest is ww policy test: the gate of ww runtime, on requests
// written on the command line.
func policyTest(args []string, stdout io.Writer) error {
	var ns, file, network string
	fs := flag.NewFlagSet("policy test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&ns, "namespace", "", "the container's Kubernetes namespace `NS`, or "+policy.Local)
	fs.StringVar(&file, "policy", "", "the policy `FILE` (default: $"+policy.PathEnv+", else "+policy.DefaultPath+")")
	fs.StringVar(&network, "network", "own", "the container's network namespace: its `own` (a pod's), the node's (host), "+
		"a new empty one (none), or its PATH")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, policyUsage+"\nFlags of test:\n")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return nil
		}
		return flagError(err)
	}
	c, err := testContainer(ns, network)
	if err != nil {
		return err
	}
	reqs, err := testRequests(fs.Args())
	if err != nil {
		return err
	}
	p, err := testPolicy(file)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Under %s, for a container of namespace %q (network: %s):\n", p, ns, network)
	refused := false
	for _, r := range reqs {
		d := p.Decide(c, r)
		if why := unopenable(c, d.Open, d); d.Granted && why != "" {
			// Granted by the policy, refused by ww runtime all the same.
			d.Granted, d.Reason = false, why
		}
		fmt.Fprintf(stdout, "%s: %s\n", d.Subject(), d.Verdict())
		if d.Granted {
			fmt.Fprintf(stdout, "  %s\n", d.Action())
		}
		fmt.Fprintf(stdout, "  why: %s\n", d.Reason)
		refused = refused || !d.Granted
	}
	if refused {
		return &exitError{code: exitFailure}
	}
	return nil
}

// testNetNS stands for the network namespace of a container that has its
// own: ww runtime takes its path from config.json.
const testNetNS = "/proc/<pid>/ns/net"

// testContainer is the container of --namespace and --network.
func testContainer(ns, network string) (policy.Container, error) {
	if ns == "" {
		return policy.Container{}, usageErrf("--namespace is missing: a Kubernetes namespace, or %s", policy.Local)
	}
	if err := policy.ValidateNamespace(ns); err != nil {
		return policy.Container{}, usageErrf("--namespace %q: %v", ns, err)
	}
	c := policy.Container{Namespace: ns}
	switch {
	case network == "own":
		c.Network = policy.ConfigNetwork(true, testNetNS)
	case network == "host":
		c.Network = policy.ConfigNetwork(false, "")
	case network == "none":
		c.Network = policy.ConfigNetwork(true, "")
	case strings.HasPrefix(network, "/"):
		c.Network = policy.ConfigNetwork(true, network)
	default:
		return policy.Container{}, usageErrf("--network %q: not own, host, none or an absolute path", network)
	}
	return c, nil
}

// testRequests parses KEY=SOURCE arguments; a KEY without '/' is an fd
// name, asked for by the general annotation.
func testRequests(args []string) ([]policy.Request, error) {
	if len(args) == 0 {
		return nil, usageErrf("policy test: no KEY=SOURCE to test")
	}
	reqs := make([]policy.Request, 0, len(args))
	for _, arg := range args {
		key, source, ok := strings.Cut(arg, "=")
		switch {
		case !ok:
			return nil, usageErrf("%q: not KEY=SOURCE", arg)
		case key == "":
			return nil, usageErrf("%q: KEY is empty", arg)
		}
		if !strings.Contains(key, "/") {
			key = spec.FDAnnotationPrefix + key
		}
		reqs = append(reqs, policy.Request{Key: key, Name: key[strings.LastIndexByte(key, '/')+1:], Source: source})
	}
	return reqs, nil
}

// testPolicy loads the policy as ww runtime would, failing closed on a
// policy it cannot use; a --policy FILE that cannot be used is bad input.
func testPolicy(file string) (*policy.Policy, error) {
	path, err := policyPath("--policy", file)
	if err != nil {
		return nil, err
	}
	if file != "" {
		p, err := policy.Load(path)
		if err != nil {
			return nil, usageErrf("--policy %q: %v", file, err)
		}
		return p, nil
	}
	p, err := policy.LoadDefault(path)
	if err != nil {
		return policy.Failed(path, err), nil
	}
	return p, nil
}
