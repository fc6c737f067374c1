package main

import (
	"os/signal"

	"golang.org/x/sys/unix"
)

// foregroundTTY returns the first standard stream that is a terminal
// whose foreground process group is ww's own, or -1.
func foregroundTTY() int {
	pgrp := unix.Getpgrp()
	for fd := 0; fd < 3; fd++ {
		fg, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
		if err == nil && fg == pgrp {
			return fd
		}
	}
	return -1
}

// takeTerminal makes ww's process group the terminal's foreground again.
// ww is in the background when it does, so SIGTTOU is ignored for the
// call; no child is started meanwhile, so none inherits that.
func takeTerminal(tty int) {
	setForeground(tty, unix.Getpgrp())
}

// giveTerminal makes the child's process group the foreground.
func giveTerminal(tty, pgrp int) { setForeground(tty, pgrp) }

func setForeground(tty, pgrp int) {
	signal.Ignore(unix.SIGTTOU)
	defer signal.Reset(unix.SIGTTOU)
	unix.IoctlSetPointerInt(tty, unix.TIOCSPGRP, pgrp)
}
