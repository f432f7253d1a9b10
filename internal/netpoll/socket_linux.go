//go:build linux

package netpoll

import (
	"os"

	"golang.org/x/sys/unix"
)

// reusePortOption is the option Listen sets for reusePort: on Linux
// SO_REUSEPORT spreads incoming connections over the listeners.
const reusePortOption = unix.SO_REUSEPORT

// newSocket opens a TCP socket that is non-blocking and close-on-exec from
// the start, so no fork can inherit it.
func newSocket(family int) (int, error) {
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	return fd, nil
}

func accept(fd int) (int, unix.Sockaddr, error) {
	return unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
}

// bindNoPort defers the choice of the local port from bind to connect
// (IP_BIND_ADDRESS_NO_PORT), so that the 4-tuple rather than the port alone
// must be unique: a client bound to a source address can then open more
// than ~28,000 connections. Failure only loses that optimisation.
func bindNoPort(fd int) {
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
}
