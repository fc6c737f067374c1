package fdmgr

import (
	"cmp"
	"slices"
)

// order returns the indexes of reqs in the order they land in the child:
// fds that ww already holds first, by fd number (one fd under two names:
// by name), then every other source by name. envs[i] is EnvName of
// reqs[i]'s name. The order depends only on the set of requests, never
// on the order of the flags, and a set of sources that already are 3..N
// keeps its numbers.
func order(reqs []Request, envs []string) []int {
	// Sort small keys, not the requests: a thousand requests are sorted
	// on every ww run that hands over a thousand fds.
	type key struct {
		fd  int // -1 for a source that is not an fd
		env string
		i   int
	}
	keys := make([]key, len(reqs))
	for i, r := range reqs {
		fd := -1
		if r.Source.IsFD() {
			fd = r.Source.FD
		}
		keys[i] = key{fd, envs[i], i}
	}
	slices.SortFunc(keys, func(a, b key) int {
		switch {
		case a.fd >= 0 && b.fd < 0:
			return -1
		case a.fd < 0 && b.fd >= 0:
			return 1
		}
		// Names are unique by EnvName, so this is a total order.
		return cmp.Or(cmp.Compare(a.fd, b.fd), cmp.Compare(a.env, b.env))
	})
	out := make([]int, len(keys))
	for i, k := range keys {
		out[i] = k.i
	}
	return out
}
