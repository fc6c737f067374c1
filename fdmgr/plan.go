package fdmgr

import (
	"cmp"
	"slices"
)

// order returns the requests in the order they land in the child: fds
// that ww already holds first, by fd number (one fd under two names: by
// name), then every other source by name. The order depends only on the
// set of requests, never on the order of the flags, and a set of sources
// that already are 3..N keeps its numbers.
func order(reqs []Request) []Request {
	type keyed struct {
		Request
		env string // EnvName, computed once: sorting calls the comparison often
	}
	ks := make([]keyed, len(reqs))
	for i, r := range reqs {
		ks[i] = keyed{r, EnvName(r.Name)}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		af, bf := a.Source.IsFD(), b.Source.IsFD()
		switch {
		case af && !bf:
			return -1
		case !af && bf:
			return 1
		case af && bf && a.Source.FD != b.Source.FD:
			return cmp.Compare(a.Source.FD, b.Source.FD)
		}
		return cmp.Or(cmp.Compare(a.env, b.env), cmp.Compare(a.Name, b.Name))
	})
	out := make([]Request, len(ks))
	for i, k := range ks {
		out[i] = k.Request
	}
	return out
}
