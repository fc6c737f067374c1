package fdmgr

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// SourceFD is an fd that the parent already holds: "fd:N", or just "N".
const SourceFD SourceKind = "fd"

// fdSource is the kind SourceFD.
type fdSource struct{}

func (fdSource) parse(text, num string) (Source, error) {
	if num == "" {
		return Source{}, fmt.Errorf("fd %q is empty", text)
	}
	for i := 0; i < len(num); i++ {
		if !isDigit(num[i]) && !(i == 0 && (num[i] == '-' || num[i] == '+')) {
			return Source{}, fmt.Errorf("fd %q is not a number", num)
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	switch {
	case err != nil && strings.HasPrefix(num, "-"):
		return Source{}, fmt.Errorf("fd %q is negative", num)
	case err != nil || n > math.MaxInt32:
		return Source{}, fmt.Errorf("fd %q is out of range", num)
	case n < 0:
		return Source{}, fmt.Errorf("fd %q is negative", num)
	case num[0] == '+' || num[0] == '-':
		return Source{}, fmt.Errorf("fd %q is not a number", num)
	}
	return Source{FD: int(n)}, nil
}
