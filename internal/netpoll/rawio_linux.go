//go:build !race

package netpoll

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// sysRead and sysWrite are recvfrom(2) and sendto(2) on non-blocking sockets
// without the runtime's syscall bookkeeping: they never block, so there is
// nothing for entersyscall to hand over. Skipping it matters under load with
// GOMAXPROCS=1: sysmon sees the P in a system call on almost every tick,
// retakes it, wakes another thread for nothing, and then keeps polling every
// 20 µs, which cost the inline echo server about 8% of its core.
//
// They are the socket calls rather than read(2) and write(2) because those go
// through the VFS first (fdget_pos, rw_verify_area and its security hook,
// fsnotify, sock_read_iter), a few percent of the server's CPU per echo on
// loopback; sendto's MSG_NOSIGNAL also spares the process a SIGPIPE when the
// peer is gone (EPIPE comes back either way). Under the race detector they
// are x/sys/unix's read and write (rawio_race_linux.go), which tell the
// detector what the kernel read and wrote.
func sysRead(fd int, p []byte) (int, error) {
	r, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

func sysWrite(fd int, p []byte) (int, error) {
	r, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)), unix.MSG_NOSIGNAL, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}
