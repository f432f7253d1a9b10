//go:build linux || dragonfly || freebsd || netbsd

package netpoll

import "golang.org/x/sys/unix"

// MaxWritevBuffers is the number of buffers one [Writev] passes to the
// kernel, below every system's IOV_MAX (1024). The iovec array is a fixed
// 2 KiB stack array, which keeps Writev free of allocations; x/sys/unix's
// Writev would allocate one per call.
const MaxWritevBuffers = 128

// writev issues writev(2) directly. Empty buffers are skipped so they do not
// use up iovec slots.
func writev(fd int, bufs [][]byte) (int, error) {
	var iov [MaxWritevBuffers]unix.Iovec
	n := 0
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		if n == len(iov) {
			break
		}
		iov[n].Base = &b[0]
		iov[n].SetLen(len(b))
		n++
	}
	if n == 0 {
		return 0, nil
	}
	return sysWritev(fd, &iov[0], n)
}
