//go:build !race

package netpoll

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// sysRead and sysWrite are read(2) and write(2) on non-blocking fds without
// the runtime's syscall bookkeeping: they never block, so there is nothing
// for entersyscall to hand over. Skipping it matters under load with
// GOMAXPROCS=1: sysmon sees the P in a system call on almost every tick,
// retakes it, wakes another thread for nothing, and then keeps polling every
// 20 µs, which cost the inline echo server about 8% of its core. Under the
// race detector they are x/sys/unix's calls (rawio_race_linux.go), which
// tell the detector what the kernel read and wrote.
func sysRead(fd int, p []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

func sysWrite(fd int, p []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}
