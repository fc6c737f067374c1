package main

import (
	"fmt"
	"io"
	"syscall"
	"time"
)

// result is one comparison as reported: measured, or skipped and why.
type result struct {
	comparison
	skipped string
	ratio   ratio
}

// report prints the header, the table of cases, their command lines and
// the ratios with their targets, then the comparisons skipped and why.
func report(w io.Writer, p plan, lim syscall.Rlimit, notes []string, jobs []*job, sums []summary, results []result) {
	fmt.Fprintf(w, "ww-bench: wall time of fork, exec and wait of each command, seen from the driver (CPU: user and system time of\n  the command and the descendants it waited for; a ratio marked CPU compares those);\n")
	fmt.Fprintf(w, "%d rounds × %d runs per case after %d warm-up runs, cases interleaved; RLIMIT_NOFILE hard %d\n",
		p.rounds, p.runs, p.warmup, lim.Max)
	for _, n := range notes {
		fmt.Fprintf(w, "  %s\n", n)
	}
	fmt.Fprintln(w)
	if len(jobs) == 0 {
		fmt.Fprintln(w, "nothing to measure")
	} else {
		printCases(w, jobs, sums)
		printRatios(w, results)
	}
	for _, r := range results {
		if r.skipped != "" {
			fmt.Fprintf(w, "skipped %q: %s\n", r.name, r.skipped)
		}
	}
}

func printCases(w io.Writer, jobs []*job, sums []summary) {
	width := 16 // the cases' names line up, however long
	for _, j := range jobs {
		width = max(width, len(j.name))
	}
	fmt.Fprintf(w, "%-*s %6s %10s %10s %10s   %-25s %10s\n", width, "case", "runs", "median", "p10", "p90", "round medians", "CPU median")
	for i, j := range jobs {
		s := sums[i]
		cpu := "-"
		if s.cpu != nil {
			cpu = micros(s.cpu.median)
		}
		fmt.Fprintf(w, "%-*s %6d %10s %10s %10s   %-25s %10s\n", width, j.name, s.n,
			micros(s.median), micros(s.p10), micros(s.p90), micros(s.roundMin)+" – "+micros(s.roundMax), cpu)
	}
	fmt.Fprintln(w)
	for _, j := range jobs {
		fds := ""
		if n := len(j.files) - 3; n > 0 {
			fds = fmt.Sprintf("  (given %d fds, at 3–%d)", n, n+2)
			if n == 1 {
				fds = "  (given 1 fd, at 3)"
			}
		}
		fmt.Fprintf(w, "  %-*s %s%s\n", width, j.name, commandLine(j.argv), fds)
	}
	fmt.Fprintln(w)
}

func printRatios(w io.Writer, results []result) {
	fmt.Fprintf(w, "%-32s %6s %15s %8s\n", "ratio of medians", "value", "rounds", "target")
	for _, r := range results {
		if r.skipped != "" {
			continue
		}
		target, verdict := "-", "(reported only)"
		if r.target > 0 {
			target = fmt.Sprintf("≤ %.2f", r.target)
			verdict = "meets target"
			if r.ratio.value > r.target {
				verdict = "MISSES target"
			}
		}
		fmt.Fprintf(w, "%-32s %6.3f %7.3f – %5.3f %8s  %s\n",
			r.name, r.ratio.value, r.ratio.lo, r.ratio.hi, target, verdict)
	}
}

func micros(d time.Duration) string {
	return fmt.Sprintf("%.1fµs", float64(d)/float64(time.Microsecond))
}
