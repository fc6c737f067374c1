package policy

import (
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/sys/unix"
)

// AuditFile is an open audit file: the policy's audit, to which every
// decision is appended as one line.
type AuditFile struct {
	fd   int
	path string
}

// OpenAudit opens the audit file at path for appending, creating it
// (mode 0600) if missing, with plain system calls. It must be a regular
// file, not a symbolic link.
func OpenAudit(path string) (*AuditFile, error) {
	flags := unix.O_WRONLY | unix.O_APPEND | unix.O_CREAT | unix.O_CLOEXEC | unix.O_NOFOLLOW | unix.O_NOCTTY | unix.O_NONBLOCK
	fd, err := openRetry(path, flags, 0o600)
	if errors.Is(err, unix.ELOOP) {
		return nil, fmt.Errorf("audit %s: is a symbolic link; name the file itself", clip(path))
	}
	if err != nil {
		return nil, fmt.Errorf("audit %s: %w", clip(path), err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("audit %s: %w", clip(path), err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, fmt.Errorf("audit %s: not a regular file", clip(path))
	}
	return &AuditFile{fd: fd, path: path}, nil
}

// Record appends AuditLine(now, c, d) in one write, so that lines of
// creates running at once never mix.
func (a *AuditFile) Record(now time.Time, c Container, d Decision) error {
	line := AuditLine(now, c, d)
	n, err := unix.Write(a.fd, line)
	for errors.Is(err, unix.EINTR) {
		n, err = unix.Write(a.fd, line)
	}
	switch {
	case err != nil:
		return fmt.Errorf("audit %s: %w", clip(a.path), err)
	case n < len(line):
		return fmt.Errorf("audit %s: %w", clip(a.path), io.ErrShortWrite)
	}
	return nil
}

// Close closes the audit file.
func (a *AuditFile) Close() error {
	if err := unix.Close(a.fd); err != nil {
		return fmt.Errorf("audit %s: %w", clip(a.path), err)
	}
	return nil
}
