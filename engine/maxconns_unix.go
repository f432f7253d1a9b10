//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package engine

import "golang.org/x/sys/unix"

// fdLimit returns the process's open-files limit (RLIMIT_NOFILE, soft), or 0
// when it is unknown or unlimited.
func fdLimit() int {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil || lim.Cur == unix.RLIM_INFINITY || lim.Cur > 1<<40 {
		return 0
	}
	return int(lim.Cur)
}
