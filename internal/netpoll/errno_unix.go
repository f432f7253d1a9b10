//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package netpoll

import "golang.org/x/sys/unix"

// The errnos that ErrWouldBlock and ErrInProgress unwrap to.
var (
	errAgain      error = unix.EAGAIN
	errInProgress error = unix.EINPROGRESS
)
