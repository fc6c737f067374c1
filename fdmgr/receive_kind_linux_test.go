package fdmgr

import (
	"fmt"
	"io"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

var (
	callFile       = func(r *Received) (io.Closer, error) { return r.File("x") }
	callListener   = func(r *Received) (io.Closer, error) { return r.Listener("x") }
	callPacketConn = func(r *Received) (io.Closer, error) { return r.PacketConn("x") }
	callConn       = func(r *Received) (io.Closer, error) { return r.Conn("x") }
)

func pairEnd(t *testing.T) int {
	t.Helper()
	fd, _ := socketPair(t)
	return fd
}

func TestReceiveKindMismatch(t *testing.T) {
	tests := []struct {
		name    string
		fd      func(*testing.T) int
		use     func(*Received) (io.Closer, error)
		wantErr string // %d stands for the fd
	}{
		{"Listener on a regular file, error", regularFile, callListener, `fd "x" (%d) is not a listening socket: it is a regular file`},
		{"Listener on a directory, error", openFile("/"), callListener, `fd "x" (%d) is not a listening socket: it is a directory`},
		{"Listener on a pipe, error", pipeEnd, callListener, `fd "x" (%d) is not a listening socket: it is a FIFO`},
		{"Listener on /dev/null, error", openFile("/dev/null"), callListener, `fd "x" (%d) is not a listening socket: it is a char device`},
		{"Listener on a udp socket, error", udpSocket, callListener, `fd "x" (%d) is not a listening socket: it is a udp socket`},
		{"Listener on a connected unix socket, error", pairEnd, callListener, `fd "x" (%d) is not a listening socket: it is a non-listening unix stream socket`},
		{"PacketConn on a tcp listener, error", tcpListener, callPacketConn, `fd "x" (%d) is not a datagram socket: it is a listening tcp socket`},
		{"PacketConn on a unix listener, error", unixListener, callPacketConn, `fd "x" (%d) is not a datagram socket: it is a listening unix stream socket`},
		{"PacketConn on a regular file, error", regularFile, callPacketConn, `fd "x" (%d) is not a datagram socket: it is a regular file`},
		{"Conn on a tcp listener, error", tcpListener, callConn, `fd "x" (%d) is not a connected stream socket: it is a listening tcp socket`},
		{"Conn on a udp socket, error", udpSocket, callConn, `fd "x" (%d) is not a connected stream socket: it is a udp socket`},
		{"Conn on a pipe, error", pipeEnd, callConn, `fd "x" (%d) is not a connected stream socket: it is a FIFO`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd := tt.fd(t)
			r := receiveFD(t, "x", fd)
			v, err := tt.use(r)
			if err == nil {
				v.Close()
				t.Fatalf("no error, want %q", fmt.Sprintf(tt.wantErr, fd))
			}
			if want := fmt.Sprintf(tt.wantErr, fd); err.Error() != want {
				t.Fatalf("error = %q, want %q", err, want)
			}
			// A refused fd is still there for another accessor.
			f, err := r.File("x")
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestReceiveUnixListenerAccepts(t *testing.T) {
	l, err := receiveFD(t, "sock", unixListener(t)).Listener("sock")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	checkAccepts(t, l)
}

func TestReceiveHandOut(t *testing.T) {
	takeFile := func(r *Received) error {
		f, err := r.File("x")
		if err != nil {
			return err
		}
		return f.Close()
	}
	tests := []struct {
		name    string
		first   func(*Received) error
		then    func(*Received) (io.Closer, error)
		wantErr string // %d stands for the fd
	}{
		{"File twice, already handed out", takeFile, callFile, `fd "x" (%d) was already handed out`},
		{"Listener after File, already handed out", takeFile, callListener, `fd "x" (%d) was already handed out`},
		{"File after Close, closed by Close", (*Received).Close, callFile, `fd "x" (%d) was closed by Close`},
		{"Listener after Close, closed by Close", (*Received).Close, callListener, `fd "x" (%d) was closed by Close`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd := tcpListener(t)
			r := receiveFD(t, "x", fd)
			if err := tt.first(r); err != nil {
				t.Fatal(err)
			}
			v, err := tt.then(r)
			if err == nil {
				v.Close()
			}
			if want := fmt.Sprintf(tt.wantErr, fd); err == nil || err.Error() != want {
				t.Fatalf("error = %v, want %q", err, want)
			}
		})
	}
}

func TestReceiveFDNotOpenChangesNothing(t *testing.T) {
	fd := regularFile(t)
	defer unix.Close(fd)
	env := []string{"WW_FD_A=" + strconv.Itoa(fd), "WW_FD_B=1000000"}
	r, err := Receive(env)
	if want := `WW_FD_B="1000000": fd 1000000 is not open`; err == nil || err.Error() != want {
		t.Fatalf("Receive = %v, %v; want error %q", r, err, want)
	}
	if cloexec(t, fd) {
		t.Errorf("fd %d got close-on-exec from a failed Receive", fd)
	}
}

func TestReceiveIgnoresOtherPID(t *testing.T) {
	env := []string{"LISTEN_PID=1", "LISTEN_FDS=1", "LISTEN_FDNAMES=x", "WW_FD_DB=" + strconv.Itoa(pipeEnd(t))}
	r, err := Receive(env)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if names := r.Names(); len(names) != 1 || names[0] != "db" {
		t.Errorf("Names() = %q, want [db]", names)
	}
	if _, err := r.FD("x"); err == nil || err.Error() != `no fd named "x": WW_FD_X is not set` {
		t.Errorf("FD(x) error = %v, want no fd named \"x\": WW_FD_X is not set", err)
	}
}

func TestReceiveLeaksNoFD(t *testing.T) {
	round := func() {
		env := []string{
			"WW_FD_HTTP=" + strconv.Itoa(tcpListener(t)),
			"WW_FD_DATA=" + strconv.Itoa(regularFile(t)),
			"WW_FD_SPARE=" + strconv.Itoa(pipeEnd(t)),
		}
		r, err := Receive(env)
		if err != nil {
			t.Fatal(err)
		}
		l, err := r.Listener("http")
		if err != nil {
			t.Fatal(err)
		}
		checkAccepts(t, l)
		f, err := r.File("data")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []io.Closer{l, f, r} { // r closes spare
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	round() // let the runtime open its own fds (the poller) first
	before := countFDs(t)
	for range 20 {
		round()
	}
	if after := countFDs(t); after != before {
		t.Errorf("%d fds open before 20 rounds, %d after", before, after)
	}
}
