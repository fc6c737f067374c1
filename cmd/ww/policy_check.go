package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/ww-dev/ww/policy"
)

// policyCheck is ww policy check [FILE].
func policyCheck(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("policy check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, policyUsage)
			return nil
		}
		return flagError(err)
	}
	if fs.NArg() > 1 {
		return usageErrf("policy check %q: one FILE at most", fs.Args())
	}
	path, err := policyPath("FILE", fs.Arg(0))
	if err != nil {
		return err
	}
	var p *policy.Policy
	if fs.NArg() == 1 {
		p, err = policy.Load(path)
	} else {
		p, err = policy.LoadDefault(path)
	}
	if err != nil {
		return err
	}
	writeGrants(stdout, p)
	return nil
}

// writeGrants prints what p grants, for an operator.
func writeGrants(w io.Writer, p *policy.Policy) {
	if p.IsDefault() {
		fmt.Fprintf(w, "No file at %s: the built-in default policy applies.\n", p.Path())
	} else {
		fmt.Fprintf(w, "Node policy %s is valid.\n", p.Path())
	}
	if p.Hooks() {
		fmt.Fprintln(w, "ww runtime adds ww hook's createRuntime and poststop hooks to the configs it edits.")
	}
	if p.Audit() != "" {
		fmt.Fprintf(w, "Every decision is appended to %s.\n", p.Audit())
	}
	fmt.Fprint(w, "\nEvery container may listen (listen:tcp, tcp6, udp, udp6, listen:unix:@NAME)\n"+
		"in a network namespace of its own. Beyond that:\n")
	for _, g := range p.Grants() {
		writeGrant(w, g)
	}
	fmt.Fprint(w, "\nA namespace that several entries match gets what each grants;\neverything else is refused.\n")
}

func writeGrant(w io.Writer, g policy.Grant) {
	switch {
	case g.Namespace == policy.Local:
		fmt.Fprintf(w, "\n%s (containers outside Kubernetes):\n", policy.Local)
	case strings.ContainsAny(g.Namespace, "*?["):
		fmt.Fprintf(w, "\nnamespaces matching %q:\n", g.Namespace)
	default:
		fmt.Fprintf(w, "\nnamespace %q:\n", g.Namespace)
	}
	switch {
	case g.HostNetwork:
		fmt.Fprintln(w, "  listen:                in the node's network, when the container has none of its own")
	case g.Namespace == policy.Local:
		fmt.Fprintln(w, "  listen:                not in the node's network: hostNetwork does not list "+policy.Local)
	}
	for _, r := range g.Resources {
		fmt.Fprintf(w, "  node:%-17s %s\n", r.Name, r.Source)
	}
	for _, dir := range g.Files {
		fmt.Fprintf(w, "  file:                  beneath %s\n", dir)
	}
	for _, dir := range g.Unix {
		fmt.Fprintf(w, "  unix:, listen:unix:    beneath %s\n", dir)
	}
	for _, hp := range g.TCP {
		fmt.Fprintf(w, "  tcp:                   %s\n", hp)
	}
	if !g.HostNetwork && g.Namespace != policy.Local && len(g.Resources)+len(g.Files)+len(g.Unix)+len(g.TCP) == 0 {
		fmt.Fprintln(w, "  nothing more")
	}
}
