//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package netpoll

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// SetKeepAlive turns TCP keep-alive on for fd with period as both the idle
// time before the first probe and the interval between probes (the probe
// count stays the system's, 8 or 9), or off for a negative period. A period
// under a second counts as one second. Where the system has no per-socket
// timing (OpenBSD), only SO_KEEPALIVE is set and the system's timing holds.
func SetKeepAlive(fd int, period time.Duration) error {
	if period < 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 0); err != nil {
			return os.NewSyscallError("setsockopt SO_KEEPALIVE", err)
		}
		return nil
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1); err != nil {
		return os.NewSyscallError("setsockopt SO_KEEPALIVE", err)
	}
	if keepIdleOption < 0 {
		return nil
	}
	secs := max(int(period/time.Second), 1)
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, keepIdleOption, secs); err != nil {
		return os.NewSyscallError("setsockopt TCP_KEEPIDLE", err)
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, keepIntervalOption, secs); err != nil {
		return os.NewSyscallError("setsockopt TCP_KEEPINTVL", err)
	}
	return nil
}
