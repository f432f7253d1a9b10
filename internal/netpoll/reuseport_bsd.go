//go:build darwin || dragonfly || netbsd || openbsd

package netpoll

import "golang.org/x/sys/unix"

// reusePortOption is the option Listen sets for reusePort.
const reusePortOption = unix.SO_REUSEPORT
