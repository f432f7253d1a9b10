//go:build unix

package main

import "syscall"

// openFilesLimit returns the soft open-files limit, 0 if unknown.
func openFilesLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	return uint64(lim.Cur)
}
