//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package netpoll

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// newSocket opens a TCP socket and makes it non-blocking and close-on-exec.
// macOS has no SOCK_NONBLOCK/SOCK_CLOEXEC, so, as the net package does, the
// socket is created and marked under syscall.ForkLock so that no concurrent
// fork can inherit it before close-on-exec is set.
func newSocket(family int) (int, error) {
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(family, unix.SOCK_STREAM, unix.IPPROTO_TCP)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("fcntl O_NONBLOCK", err)
	}
	return fd, nil
}

// bindNoPort does nothing: IP_BIND_ADDRESS_NO_PORT is Linux-only.
func bindNoPort(int) {}
