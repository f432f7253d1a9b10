package netpoll

import "golang.org/x/sys/unix"

// The per-socket keep-alive timing options: macOS names the idle time
// TCP_KEEPALIVE.
const (
	keepIdleOption     = unix.TCP_KEEPALIVE
	keepIntervalOption = unix.TCP_KEEPINTVL
)
