// Package fdmgr hands named file descriptors from one process to the
// program it starts, and lets that program find them by name.
//
// # The parent's side
//
// A request is NAME=SOURCE: a name, and where the fd comes from (an fd
// the parent already holds, a file, a socket to connect or to listen on;
// see ParseSource). FDManager takes requests (ParseFDFlag, Add), opens
// them (PrepareFDs), and says where each lands (GenerateEnvVars, FDs).
// Requests are separate from opening so that a policy can look at every
// request before anything is opened.
//
// The protocol:
//
//   - The named fds land in the child at 3, 4, 5, … (FirstFD, or First
//     when a caller already passes fds of its own) with no gaps.
//   - Order: fds the parent already holds first, by fd number (one fd
//     under two names: by name); then every other source, by name. The
//     order of the requests never matters.
//   - Each name becomes WW_FD_<NAME>=<fd>, NAME upper-cased with '-'
//     turned into '_' (EnvName). Names that give the same variable are
//     the same name. An outer ww's WW_FD_* variables and an outer
//     activation's LISTEN_* variables never reach the child (Environ).
//   - Every fd the manager opens or duplicates has close-on-exec set; it
//     reaches the child only by being placed at its target. A source fd
//     is never closed or changed.
//   - With socket activation, LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID
//     describe the same fds (SystemdEnvVars). LISTEN_PID must be the pid
//     of the program itself, so the fds are placed in this process and
//     the process replaces itself with the program (ReserveTargets, Exec).
//
// A caller that starts the child with fork sets Borrow, so that fds it
// already holds are not duplicated in its own process, and takes the
// child's fd table from ChildFiles; a caller that execs the program
// itself uses ReserveTargets and Exec. CheckFDs validates fd requests
// without opening anything. A refused PrepareFDs closes what it opened
// and removes the files it created.
//
// Sources are opened with raw system calls, never through the Go
// runtime's poller, so that placing fds in this process cannot overwrite
// an fd the runtime holds.
//
// # Confining a path
//
// A caller that opens paths on someone else's behalf (a runtime wrapper,
// for a container's annotations) can confine a file:, unix: or
// listen:unix: source to a folder: it parses the source, sets
// Source.Beneath (and AllowDevice, to let it open a device node), and
// adds it with AddSource. ParseSource never sets Beneath: confinement is
// the caller's decision, never the request's. Such a path must lie beneath
// the folder as written, and the kernel resolves it from an fd of the
// folder (openat2 with RESOLVE_BENEATH and RESOLVE_NO_MAGICLINKS; without
// openat2, a walk that refuses every ".." and symbolic link), so that no
// "..", symbolic link, /proc magic link or rename racing the lookup leads
// out: such a source fails with "escapes FOLDER". A file is reached with
// O_PATH and judged before anything of it is opened (a device node is
// refused unless AllowDevice), then opened through that fd, a FIFO
// without waiting as always. A unix socket is connected to, or bound in
// its folder, through /proc/self/fd/N, so that what is reached is what
// was resolved; a socket bound there must fit in sun_path as
// /proc/self/fd/N/NAME. An abstract socket has no path and ignores
// Beneath. A source without Beneath is opened as it always was.
//
// # The child's side
//
// Receive and ReceiveEnv read WW_FD_* and the systemd variables and hand
// each fd out by name as an *os.File, net.Listener, net.PacketConn or
// net.Conn, with close-on-exec set, so that no program parses the
// variables by hand. ParseEnvVar is the one reading of a WW_FD_* variable
// that they, and a check of a container's environment, share.
//
// # Platforms
//
// The package builds wherever Go does. The child's side works on every
// Unix-like system. Elsewhere (Windows, Plan 9, js, wasip1), Receive gives
// an empty set for an environment that describes no fd, and an error that
// is errors.ErrUnsupported for one that does. The parent's side opens and places fds with Linux system calls:
// elsewhere requests are parsed, ordered and named, but CheckFDs and
// PrepareFDs fail with errors.ErrUnsupported.
package fdmgr
