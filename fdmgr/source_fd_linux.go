package fdmgr

// open duplicates the fd, which this process must hold.
func (fdSource) open(s Source) (int, *made, error) {
	if err := checkOpen(s.FD); err != nil {
		return -1, nil, err
	}
	fd, err := dupCloexec(s.FD, FirstFD)
	return fd, nil, err
}
