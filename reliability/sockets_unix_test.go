//go:build unix

package reliability_test

import (
	"net"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/surgews/surge/internal/netpoll"
)

// The server runs in the test process, so a test can find the server's end
// of a connection among the process's fds.

// conn4 names a TCP connection by its local and remote address.
type conn4 struct{ local, remote netip.AddrPort }

// socketsOf returns the fds of this process's connected TCP sockets.
func socketsOf(t *testing.T) map[conn4]int {
	t.Helper()
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	m := make(map[conn4]int)
	for fd := 3; fd < int(min(lim.Cur, 1<<20)); fd++ {
		sa, err := unix.Getsockname(fd)
		if err != nil {
			continue
		}
		pa, err := unix.Getpeername(fd)
		if err != nil {
			continue
		}
		m[conn4{addrOf(sa), addrOf(pa)}] = fd
	}
	return m
}

// socketBetween finds this process's socket from local to remote.
func socketBetween(t *testing.T, local, remote netip.AddrPort) int {
	t.Helper()
	fd, ok := socketsOf(t)[conn4{local, remote}]
	if !ok {
		t.Fatalf("no socket from %v to %v", local, remote)
	}
	return fd
}

func addrOf(sa unix.Sockaddr) netip.AddrPort {
	if a := netpoll.SockaddrToAddr(sa); a != nil {
		return tcpAddrPort(a)
	}
	return netip.AddrPort{}
}

func tcpAddrPort(a net.Addr) netip.AddrPort {
	ap := a.(*net.TCPAddr).AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// shrinkServerSendBuffers gives the server's end of each peer's connection
// a send buffer of a few KiB (which also stops the kernel growing it), so
// that a peer that does not read fills the server's backlog after KiBs
// rather than the MiBs of loopback's autotuned buffers: what the tests
// check starts once the backlog is full, however large the kernel buffers.
func shrinkServerSendBuffers(t *testing.T, ps []*peer) {
	t.Helper()
	socks := socketsOf(t)
	for _, p := range ps {
		key := conn4{tcpAddrPort(p.nc.RemoteAddr()), tcpAddrPort(p.nc.LocalAddr())}
		fd, ok := socks[key]
		if !ok {
			t.Fatalf("no server socket for %v", key)
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4096); err != nil {
			t.Fatal(err)
		}
	}
}

// serverSockets counts this process's connected sockets whose local
// address is addr: the server's ends of its connections.
func serverSockets(t *testing.T, addr string) int {
	t.Helper()
	local := netip.MustParseAddrPort(addr)
	n := 0
	for k := range socketsOf(t) {
		if k.local == local {
			n++
		}
	}
	return n
}
