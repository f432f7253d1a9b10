package netpoll

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// sysWritev writes the n iovecs at iov with sendmsg(2), raw like sysWrite
// (it never blocks on a non-blocking socket), and for the same reasons as
// sysWrite's sendto: no VFS layer in front of the socket, and no SIGPIPE.
func sysWritev(fd int, iov *unix.Iovec, n int) (int, error) {
	msg := unix.Msghdr{Iov: iov}
	msg.SetIovlen(n)
	r, _, e := unix.RawSyscall(unix.SYS_SENDMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), unix.MSG_NOSIGNAL)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}
