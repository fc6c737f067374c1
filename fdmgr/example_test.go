package fdmgr_test

import (
	"fmt"
	"log"
	"net/http"

	"github.com/ww-dev/ww/fdmgr"
)

// A server started by `ww run --with-fd http=3 server` (or by systemd
// socket activation, with FileDescriptorName=http) serves on the listener
// it was handed instead of opening its own.
func ExampleReceiveEnv() {
	fds, err := fdmgr.ReceiveEnv(true)
	if err != nil {
		log.Fatal(err)
	}
	l, err := fds.Listener("http")
	if err != nil {
		log.Fatal(err) // e.g. no fd named "http": WW_FD_HTTP is not set
	}
	// The listener is the server's now; close any other fd passed in.
	if err := fds.Close(); err != nil {
		log.Fatal(err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	})
	log.Fatal(http.Serve(l, handler))
}
