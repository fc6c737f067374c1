package fdmgr

// fdUse is what an accessor of Received turns an fd into.
type fdUse int

const (
	useAny fdUse = iota
	useListener
	usePacket
	useConn
)

// String says what u needs, after "is not ".
func (u fdUse) String() string {
	switch u {
	case useListener:
		return "a listening socket"
	case usePacket:
		return "a datagram socket"
	case useConn:
		return "a connected stream socket"
	}
	return "usable"
}
