//go:build linux || dragonfly || freebsd || netbsd

package netpoll

import "golang.org/x/sys/unix"

// The per-socket keep-alive timing options.
const (
	keepIdleOption     = unix.TCP_KEEPIDLE
	keepIntervalOption = unix.TCP_KEEPINTVL
)
