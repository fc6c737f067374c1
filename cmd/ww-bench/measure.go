package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"slices"
	"time"
)

// plan says how much to measure.
type plan struct {
	rounds, runs, warmup int
}

// samples are one case's times: all of them, and each round's apart;
// wall times, and in cpu the CPU times of the same runs.
type samples struct {
	all    []time.Duration
	rounds [][]time.Duration
	cpu    *samples
}

// measure times every job. Jobs take turns, one run each (A, B, C, A, B,
// C, …), so that drift in the machine's speed reaches every case alike;
// each round starts the turn at the next job, so that no case always
// follows the same one. A run whose status is not 0 stops everything.
func measure(r *runner, jobs []*job, p plan, progress io.Writer) ([]samples, error) {
	if len(jobs) == 0 {
		return nil, nil
	}
	for range p.warmup {
		for _, j := range jobs {
			if _, _, err := r.time(j); err != nil {
				return nil, fmt.Errorf("warm-up of %q: %w", j.name, err)
			}
		}
	}
	// The driver's garbage, the argv copied at each fork, is collected
	// between rounds, not during them.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(1 << 30))
	out := make([]samples, len(jobs))
	for i := range out {
		out[i].cpu = &samples{}
	}
	for round := range p.rounds {
		runtime.GC() // not in the middle of a round
		times := make([][]time.Duration, len(jobs))
		cpus := make([][]time.Duration, len(jobs))
		for range p.runs {
			for k := range jobs {
				i := (round + k) % len(jobs)
				d, cpu, err := r.time(jobs[i])
				if err != nil {
					return nil, fmt.Errorf("round %d, %q: %w", round+1, jobs[i].name, err)
				}
				times[i] = append(times[i], d)
				cpus[i] = append(cpus[i], cpu)
			}
		}
		for i := range jobs {
			out[i].rounds = append(out[i].rounds, times[i])
			out[i].all = append(out[i].all, times[i]...)
			out[i].cpu.rounds = append(out[i].cpu.rounds, cpus[i])
			out[i].cpu.all = append(out[i].cpu.all, cpus[i]...)
		}
		fmt.Fprintf(progress, "ww-bench: round %d/%d done\n", round+1, p.rounds)
	}
	return out, nil
}

// summary is what the report shows of one case's samples.
type summary struct {
	n                  int
	median, p10, p90   time.Duration
	roundMin, roundMax time.Duration // the lowest and highest round median
	roundMedians       []time.Duration
	cpu                *summary // of the CPU times
}

func summarize(s samples) summary {
	sum := summarizeTimes(s)
	if s.cpu != nil {
		cpu := summarizeTimes(*s.cpu)
		sum.cpu = &cpu
	}
	return sum
}

func summarizeTimes(s samples) summary {
	sum := summary{
		n:      len(s.all),
		median: percentile(s.all, 50),
		p10:    percentile(s.all, 10),
		p90:    percentile(s.all, 90),
	}
	for _, r := range s.rounds {
		sum.roundMedians = append(sum.roundMedians, percentile(r, 50))
	}
	if len(sum.roundMedians) > 0 {
		sum.roundMin = slices.Min(sum.roundMedians)
		sum.roundMax = slices.Max(sum.roundMedians)
	}
	return sum
}

// percentile returns the p-th percentile of ds, interpolated between the
// two nearest samples.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	pos := p / 100 * float64(len(s)-1)
	lo := int(pos)
	if lo+1 >= len(s) {
		return s[lo]
	}
	frac := pos - float64(lo)
	return s[lo] + time.Duration(frac*float64(s[lo+1]-s[lo]))
}

// ratio is num's median over den's, with the lowest and highest ratio of
// the two cases' medians within one round.
type ratio struct {
	value, lo, hi float64
}

func ratioOf(num, den summary) ratio {
	r := ratio{value: float64(num.median) / float64(den.median)}
	for i := range min(len(num.roundMedians), len(den.roundMedians)) {
		v := float64(num.roundMedians[i]) / float64(den.roundMedians[i])
		if i == 0 || v < r.lo {
			r.lo = v
		}
		if i == 0 || v > r.hi {
			r.hi = v
		}
	}
	return r
}
