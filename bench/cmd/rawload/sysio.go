//go:build linux

package main

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The message loop's calls never block (the sockets are non-blocking and
// the first poll of each turn has no timeout), so they go to the kernel
// without the runtime's syscall bookkeeping: unix.Read and unix.Write enter
// and leave a syscall state that keeps sysmon waking every 20 µs to look
// for a P to take back. On the generator's one core those wake-ups and the
// preemptions they caused were 13% of rawload's samples at 1,000 × 64 B
// (perf record, server surge-inline): context switches that made the
// generator the limit, so the server under test idled and was charged for
// its parks. recvfrom(2) and sendto(2) also skip the VFS layer that read(2)
// and write(2) pass through. Only a poll that finds nothing blocks, through
// unix.EpollWait, so the runtime can hand the P on while it sleeps.

// recv reads what is ready on fd into b (recvfrom(2)).
func recv(fd int, b []byte) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)), 0, 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}

// send writes b to fd (sendto(2)); MSG_NOSIGNAL turns a write to a closed
// connection into EPIPE instead of a SIGPIPE.
func send(fd int, b []byte) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)), unix.MSG_NOSIGNAL, 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}

// pollReady returns the events ready on ep now, without waiting
// (epoll_pwait(2) with a zero timeout and no signal mask).
func pollReady(ep int, events []unix.EpollEvent) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(ep), uintptr(unsafe.Pointer(unsafe.SliceData(events))), uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// waitReady polls ep and, when nothing is ready and wait (ms) is not 0,
// blocks up to wait for an event.
func waitReady(ep int, events []unix.EpollEvent, wait int) (int, error) {
	n, err := pollReady(ep, events)
	if err != nil || n > 0 || wait == 0 {
		return n, err
	}
	return unix.EpollWait(ep, events, wait)
}
