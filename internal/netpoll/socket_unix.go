//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package netpoll

import (
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// DefaultBacklog is the listen(2) backlog used when [Listen] is given 0. The
// kernel clamps it to its own limit (net.core.somaxconn, kern.ipc.somaxconn),
// so this asks for "as many as the system allows".
const DefaultBacklog = 65535

// Listen opens a non-blocking, close-on-exec TCP listening socket for network
// "tcp", "tcp4" or "tcp6" on addr (host:port, as for [net.Listen]), with
// SO_REUSEADDR and, if reusePort, SO_REUSEPORT (SO_REUSEPORT_LB on FreeBSD),
// so that each reactor loop can own a listener on the same port. A backlog
// of 0 means [DefaultBacklog]. It returns the fd, which the caller owns and
// must [Close], and the bound address (useful with port 0).
//
// "tcp" with an empty host listens dual-stack on [::] when IPv6 is available,
// else on 0.0.0.0; "tcp" with an IPv4 literal uses IPv4 only. Host names are
// resolved with the default resolver and the first address is used.
func Listen(network, addr string, reusePort bool, backlog int) (fd int, bound net.Addr, err error) {
	if backlog < 0 {
		return -1, nil, ErrBadAddress
	}
	if backlog == 0 {
		backlog = DefaultBacklog
	}
	ta, err := resolve(network, addr)
	if err != nil {
		return -1, nil, err
	}
	family, dual := listenFamily(network, ta.IP)
	fd, err = newSocket(family)
	if err != nil && dual && errors.Is(err, unix.EAFNOSUPPORT) {
		family, dual = unix.AF_INET, false
		fd, err = newSocket(family)
	}
	if err != nil {
		return -1, nil, err
	}
	if err := listenOn(fd, family, dual, network, ta, reusePort, backlog); err != nil {
		unix.Close(fd)
		return -1, nil, err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return -1, nil, os.NewSyscallError("getsockname", err)
	}
	if a := SockaddrToAddr(sa); a != nil {
		bound = a
	}
	return fd, bound, nil
}

func listenOn(fd, family int, dual bool, network string, ta *net.TCPAddr, reusePort bool, backlog int) error {
	if family == unix.AF_INET6 {
		// Set explicitly: the system default (net.ipv6.bindv6only)
		// must not decide whether "tcp" is dual-stack.
		v6only := 0
		if !dual && network == "tcp6" {
			v6only = 1
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only); err != nil {
			return os.NewSyscallError("setsockopt IPV6_V6ONLY", err)
		}
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return os.NewSyscallError("setsockopt SO_REUSEADDR", err)
	}
	if reusePort {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, reusePortOption, 1); err != nil {
			return os.NewSyscallError("setsockopt SO_REUSEPORT", err)
		}
	}
	sa, err := toSockaddr(family, ta)
	if err != nil {
		return err
	}
	if err := unix.Bind(fd, sa); err != nil {
		return os.NewSyscallError("bind", err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		return os.NewSyscallError("listen", err)
	}
	return nil
}

// resolve checks the network and resolves addr.
func resolve(network, addr string) (*net.TCPAddr, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, ErrBadAddress
	}
	ta, err := net.ResolveTCPAddr(network, addr)
	if err != nil {
		return nil, err
	}
	return ta, nil
}

// listenFamily picks the socket family; dual reports an IPv6 socket that
// should also accept IPv4.
func listenFamily(network string, ip net.IP) (family int, dual bool) {
	switch {
	case network == "tcp4":
		return unix.AF_INET, false
	case network == "tcp6":
		return unix.AF_INET6, false
	case ip == nil:
		return unix.AF_INET6, true
	case ip.To4() != nil:
		return unix.AF_INET, false
	}
	return unix.AF_INET6, false
}

// toSockaddr converts a TCP address to a sockaddr of the given family. A nil
// IP means the wildcard address.
func toSockaddr(family int, ta *net.TCPAddr) (unix.Sockaddr, error) {
	if ta.Port < 0 || ta.Port > 0xffff {
		return nil, ErrBadAddress
	}
	switch family {
	case unix.AF_INET:
		sa := &unix.SockaddrInet4{Port: ta.Port}
		if len(ta.IP) != 0 {
			ip4 := ta.IP.To4()
			if ip4 == nil {
				return nil, ErrBadAddress
			}
			copy(sa.Addr[:], ip4)
		}
		return sa, nil
	case unix.AF_INET6:
		sa := &unix.SockaddrInet6{Port: ta.Port}
		if len(ta.IP) != 0 {
			ip16 := ta.IP.To16()
			if ip16 == nil {
				return nil, ErrBadAddress
			}
			copy(sa.Addr[:], ip16)
		}
		if ta.Zone != "" {
			id, err := zoneIndex(ta.Zone)
			if err != nil {
				return nil, err
			}
			sa.ZoneId = id
		}
		return sa, nil
	}
	return nil, ErrBadAddress
}

func zoneIndex(zone string) (uint32, error) {
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index), nil
	}
	n, err := strconv.ParseUint(zone, 10, 32)
	if err != nil {
		return 0, ErrBadAddress
	}
	return uint32(n), nil
}

// SockaddrToAddr converts an IPv4 or IPv6 socket address to a *net.TCPAddr
// that shares no memory with sa. It returns nil for nil and for other kinds
// of socket address. It allocates; it is meant for accept and connect time,
// not for the data path.
func SockaddrToAddr(sa unix.Sockaddr) *net.TCPAddr {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IPv4(sa.Addr[0], sa.Addr[1], sa.Addr[2], sa.Addr[3]), Port: sa.Port}
	case *unix.SockaddrInet6:
		a := &net.TCPAddr{IP: make(net.IP, net.IPv6len), Port: sa.Port}
		copy(a.IP, sa.Addr[:])
		if sa.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(sa.ZoneId)); err == nil {
				a.Zone = ifi.Name
			} else {
				a.Zone = strconv.FormatUint(uint64(sa.ZoneId), 10)
			}
		}
		return a
	}
	return nil
}

// Accept accepts one pending connection on the listening socket fd. The new
// fd is non-blocking and close-on-exec (accept4 on Linux, FreeBSD, DragonFly,
// NetBSD and OpenBSD; accept plus fcntl under syscall.ForkLock on macOS) and
// owned by the caller. It returns [ErrWouldBlock] when no connection is
// pending, retries EINTR and ECONNABORTED (a connection reset before it was
// accepted), and wraps other errors, such as EMFILE, with
// os.NewSyscallError: a level-triggered listener keeps being reported while
// such an error persists, so the caller should back off.
func Accept(fd int) (nfd int, remote net.Addr, err error) {
	for {
		nfd, sa, err := accept(fd)
		switch err {
		case nil:
			if a := SockaddrToAddr(sa); a != nil {
				return nfd, a, nil
			}
			return nfd, nil, nil
		case unix.EINTR, unix.ECONNABORTED:
			continue
		case unix.EAGAIN:
			return -1, nil, ErrWouldBlock
		}
		return -1, nil, os.NewSyscallError("accept", err)
	}
}

// Read reads up to len(p) bytes from fd with one read(2), retrying EINTR. It
// returns [ErrWouldBlock] when nothing is pending (EAGAIN), io.EOF when the
// peer has shut down its write half and everything has been read, and (0,
// nil) for an empty p. It does not allocate, except to wrap unexpected
// errors. fd must be non-blocking: on Linux the call skips the scheduler's
// system-call bookkeeping, so a blocking read would hold up its P.
func Read(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := sysRead(fd, p)
		switch err {
		case nil:
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, ErrWouldBlock
		}
		return 0, os.NewSyscallError("read", err)
	}
}

// Write writes p to fd with one write(2), retrying EINTR. A short write
// returns (n, nil) with n < len(p): wait for [EventWrite] and write the rest.
// It returns [ErrWouldBlock] when nothing could be written, and (0, nil) for
// an empty p. A write to a connection the peer has closed fails with EPIPE
// (the Go runtime keeps SIGPIPE from killing the process for fds other than
// 1 and 2). It does not allocate, except to wrap unexpected errors. fd must
// be non-blocking, as for [Read].
func Write(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := sysWrite(fd, p)
		switch err {
		case nil:
			return n, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, ErrWouldBlock
		}
		return 0, os.NewSyscallError("write", err)
	}
}

// Writev writes bufs to fd with one writev(2), retrying EINTR, and returns the
// total number of bytes written. Only the first [MaxWritevBuffers] buffers
// are passed to the kernel, so that the iovec array lives on the stack and
// the call does not allocate; a result smaller than the sum of the lengths
// is a short write either way, and the caller writes the rest later. It
// returns [ErrWouldBlock] when nothing could be written and (0, nil) when
// there is nothing to write. fd must be non-blocking, as for [Read].
func Writev(fd int, bufs [][]byte) (int, error) {
	raceReadBufs(bufs)
	for {
		n, err := writev(fd, bufs)
		switch err {
		case nil:
			return n, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, ErrWouldBlock
		}
		return 0, os.NewSyscallError("writev", err)
	}
}

// SetNoDelay sets TCP_NODELAY on fd, disabling Nagle's algorithm when on.
// surge batches small frames itself (see [Writev]), so it turns Nagle off.
func SetNoDelay(fd int, on bool) error {
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, boolInt(on)); err != nil {
		return os.NewSyscallError("setsockopt TCP_NODELAY", err)
	}
	return nil
}

// SetNonblock sets or clears O_NONBLOCK on fd. Every fd this package creates
// is already non-blocking.
func SetNonblock(fd int, on bool) error {
	if err := unix.SetNonblock(fd, on); err != nil {
		return os.NewSyscallError("fcntl O_NONBLOCK", err)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Connect starts a non-blocking TCP connection to raddr (host:port) over
// network "tcp", "tcp4" or "tcp6", optionally bound first to laddr (a
// *net.TCPAddr of the same family; port 0 picks one), so that a load
// generator can spread connections over several 127.0.0.x sources. The fd is
// non-blocking, close-on-exec and owned by the caller.
//
// It returns (fd, nil) when the connection completed at once, (fd,
// [ErrInProgress]) when it is being established (register fd for
// [EventWrite], then check [SocketError]), and (-1, err) on failure, with the
// fd already closed. An empty host in raddr means the local system
// (127.0.0.1).
func Connect(network, raddr string, laddr net.Addr) (fd int, err error) {
	ta, err := resolve(network, raddr)
	if err != nil {
		return -1, err
	}
	ip := ta.IP
	if len(ip) == 0 || ip.IsUnspecified() {
		if network == "tcp6" {
			ip = net.IPv6loopback
		} else {
			ip = net.IPv4(127, 0, 0, 1)
		}
	}
	family := unix.AF_INET6
	if ip.To4() != nil && network != "tcp6" {
		family = unix.AF_INET
	}
	rsa, err := toSockaddr(family, &net.TCPAddr{IP: ip, Port: ta.Port, Zone: ta.Zone})
	if err != nil {
		return -1, err
	}
	var lsa unix.Sockaddr
	if laddr != nil {
		la, ok := laddr.(*net.TCPAddr)
		if !ok || la == nil {
			return -1, ErrBadAddress
		}
		if lsa, err = toSockaddr(family, la); err != nil {
			return -1, err
		}
	}
	fd, err = newSocket(family)
	if err != nil {
		return -1, err
	}
	if err := connect(fd, lsa, rsa); err != nil {
		if err == ErrInProgress {
			return fd, err
		}
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func connect(fd int, lsa, rsa unix.Sockaddr) error {
	if lsa != nil {
		if port(lsa) == 0 {
			bindNoPort(fd)
		}
		if err := unix.Bind(fd, lsa); err != nil {
			return os.NewSyscallError("bind", err)
		}
	}
	switch err := unix.Connect(fd, rsa); err {
	case nil:
		return nil
	case unix.EINPROGRESS, unix.EINTR:
		// An interrupted non-blocking connect goes on in the
		// background, exactly like EINPROGRESS.
		return ErrInProgress
	default:
		return os.NewSyscallError("connect", err)
	}
}

func port(sa unix.Sockaddr) int {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return sa.Port
	case *unix.SockaddrInet6:
		return sa.Port
	}
	return -1
}

// SocketError returns and clears the error pending on fd (SO_ERROR): nil
// after a connect that succeeded, the connect error (wrapped with
// os.NewSyscallError, so errors.Is(err, unix.ECONNREFUSED) works) after one
// that failed.
func SocketError(fd int) error {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return os.NewSyscallError("getsockopt SO_ERROR", err)
	}
	if v != 0 {
		return os.NewSyscallError("connect", unix.Errno(v))
	}
	return nil
}

// Close closes fd. It is not retried on EINTR, because the fd is released
// even then on Linux and retrying could close a reused number.
func Close(fd int) error {
	if fd < 0 {
		return ErrBadFD
	}
	if err := unix.Close(fd); err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}

// DetachFD moves an established connection, typically one hijacked from
// net/http, out of the Go runtime and into a reactor: it duplicates the
// connection's fd (close-on-exec), makes the copy non-blocking, and closes c,
// which leaves the socket open through the copy. The caller owns the
// returned fd. c must implement [syscall.Conn] (as *net.TCPConn and
// *net.UnixConn do); otherwise it returns [ErrNoFD] and leaves c open.
// Bytes that net/http already buffered (the bufio.Reader returned by Hijack)
// are not in the socket any more: the caller must hand them over itself.
func DetachFD(c net.Conn) (int, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1, ErrNoFD
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	nfd := -1
	var dupErr error
	err = rc.Control(func(fd uintptr) {
		nfd, dupErr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	})
	if err != nil {
		return -1, err
	}
	if dupErr != nil {
		return -1, os.NewSyscallError("fcntl F_DUPFD_CLOEXEC", dupErr)
	}
	// O_NONBLOCK belongs to the shared open file description, so this
	// also holds for the runtime's copy, which is closed next anyway.
	if err := SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		return -1, err
	}
	if err := c.Close(); err != nil {
		unix.Close(nfd)
		return -1, err
	}
	return nfd, nil
}
