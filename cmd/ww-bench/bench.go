package main

import (
	"fmt"
	"io"
)

// bench measures the cases the comparisons use and prints the report.
// Each case runs once, checked, before any is timed, so that a command
// that cannot run fails fast and says why.
func bench(o options, cases []benchCase, comparisons []comparison, stdout, stderr io.Writer) error {
	_, err := benchSummaries(o, cases, comparisons, stdout, stderr)
	return err
}

// benchSummaries is bench that also returns each measured case's
// summary, by name.
func benchSummaries(o options, cases []benchCase, comparisons []comparison, stdout, stderr io.Writer) (map[string]summary, error) {
	if len(comparisons) == 0 {
		return nil, usageErrorf("-run %q: matches no ratio", o.only)
	}
	byName := make(map[string]benchCase, len(cases))
	for _, c := range cases {
		byName[c.name] = c
	}
	maxFDs := 0
	for _, cmp := range comparisons {
		for _, name := range []string{cmp.num, cmp.den} {
			c, ok := byName[name]
			if !ok {
				return nil, fmt.Errorf("ratio %q: no case %q", cmp.name, name)
			}
			maxFDs = max(maxFDs, c.fds)
		}
	}
	// ww holds a duplicate of each fd it hands over besides the fd
	// itself, and the Go runtime a few of its own.
	lim, err := ensureNoFile(uint64(2*maxFDs + 64))
	if err != nil {
		return nil, err
	}
	r, err := newRunner()
	if err != nil {
		return nil, err
	}
	defer r.close()

	results := make([]result, len(comparisons))
	used := make(map[string]bool)
	for i, cmp := range comparisons {
		results[i].comparison = cmp
		if cmp.skip != nil {
			results[i].skipped = cmp.skip(r)
		}
		if results[i].skipped != "" {
			fmt.Fprintf(stderr, "ww-bench: skipping %q: %s\n", cmp.name, results[i].skipped)
			continue
		}
		used[cmp.num], used[cmp.den] = true, true
	}
	var usedCases []benchCase
	for _, c := range cases {
		if used[c.name] {
			usedCases = append(usedCases, c)
		}
	}
	notes := evictPrograms(usedCases)
	var jobs []*job
	for _, c := range usedCases {
		j := r.job(c)
		if err := r.check(j); err != nil {
			return nil, fmt.Errorf("case %q (%s): %w", c.name, commandLine(c.argv), err)
		}
		jobs = append(jobs, j)
	}

	load := loadAverage()
	samples, err := measure(r, jobs, o.plan, stderr)
	if err != nil {
		return nil, err
	}
	sums := make([]summary, len(jobs))
	sumOf := make(map[string]summary, len(jobs))
	for i, j := range jobs {
		sums[i] = summarize(samples[i])
		sumOf[j.name] = sums[i]
	}
	for i := range results {
		if results[i].skipped == "" {
			num, den := sumOf[results[i].num], sumOf[results[i].den]
			if results[i].cpu {
				num, den = *num.cpu, *den.cpu
			}
			results[i].ratio = ratioOf(num, den)
		}
	}
	notes = append([]string{describeBinary(o.ww), describeBinary(o.launcher), load,
		"page cache of the programs dropped before the first run, so each is loaded as exec loads it from disk"}, notes...)
	report(stdout, o.plan, lim, notes, jobs, sums, results)
	return sumOf, nil
}
