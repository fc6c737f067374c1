package main

// A call that ww runtime passes through is handed to the lower runtime
// while the packages are initialised, before this program's own: see
// package fastpath.
import _ "github.com/ww-dev/ww/cmd/internal/fastpath/atinit"
