//go:build dragonfly || freebsd || netbsd

package netpoll

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// sysWritev writes the n iovecs at iov with writev(2), raw like sysWrite:
// it never blocks on a non-blocking fd.
func sysWritev(fd int, iov *unix.Iovec, n int) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(iov)), uintptr(n))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}
