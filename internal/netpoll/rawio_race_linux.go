//go:build race

package netpoll

import "golang.org/x/sys/unix"

// Under the race detector reads and writes go through x/sys/unix, whose
// annotations report a buffer that another goroutine touches while the
// kernel reads or fills it; the raw calls of rawio_linux.go would hide that.
func sysRead(fd int, p []byte) (int, error) { return unix.Read(fd, p) }

func sysWrite(fd int, p []byte) (int, error) { return unix.Write(fd, p) }
