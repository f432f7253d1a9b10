//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package netpoll_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/surgews/surge/internal/netpoll"
	"golang.org/x/sys/unix"
)

// tcpPair returns the server and client ends of a loopback TCP connection
// made with Listen, Connect and Accept; both are closed when the test ends.
func tcpPair(tb testing.TB) (server, client int) {
	tb.Helper()
	lfd, addr, err := netpoll.Listen("tcp4", "127.0.0.1:0", false, 0)
	if err != nil {
		tb.Fatalf("Listen: %v", err)
	}
	defer netpoll.Close(lfd)
	client, err = netpoll.Connect("tcp4", addr.String(), nil)
	if err != nil && !errors.Is(err, netpoll.ErrInProgress) {
		tb.Fatalf("Connect: %v", err)
	}
	tb.Cleanup(func() { unix.Close(client) })
	server = acceptWithin(tb, lfd, 5*time.Second)
	tb.Cleanup(func() { unix.Close(server) })
	return server, client
}

func acceptWithin(tb testing.TB, lfd int, d time.Duration) int {
	tb.Helper()
	p := newPoller(tb, netpoll.Config{})
	if err := p.Add(lfd, netpoll.EventRead); err != nil {
		tb.Fatal(err)
	}
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		nfd, _, err := netpoll.Accept(lfd)
		if err == nil {
			return nfd
		}
		if !errors.Is(err, netpoll.ErrWouldBlock) {
			tb.Fatalf("Accept: %v", err)
		}
		if _, err := p.Wait(100*time.Millisecond, func(int, netpoll.Event) {}); err != nil {
			tb.Fatal(err)
		}
	}
	tb.Fatal("no connection to accept")
	return -1
}

func ipv6Loopback(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	ln.Close()
}

func TestListenAcceptConnect(t *testing.T) {
	tests := []struct {
		name     string
		network  string
		listen   string
		dial     string // host to dial; the port is the bound one
		needIPv6 bool
	}{
		{name: "tcp4 loopback", network: "tcp4", listen: "127.0.0.1:0", dial: "127.0.0.1"},
		{name: "tcp6 loopback", network: "tcp6", listen: "[::1]:0", dial: "::1", needIPv6: true},
		{name: "tcp wildcard reached over IPv4", network: "tcp", listen: ":0", dial: "127.0.0.1"},
		{name: "tcp wildcard reached over IPv6", network: "tcp", listen: ":0", dial: "::1", needIPv6: true},
		{name: "tcp IPv4 literal", network: "tcp", listen: "127.0.0.1:0", dial: "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needIPv6 {
				ipv6Loopback(t)
			}
			lfd, bound, err := netpoll.Listen(tt.network, tt.listen, false, 0)
			if errors.Is(err, unix.EADDRINUSE) && strings.HasPrefix(tt.listen, ":") {
				// A wildcard bind to port 0 needs a port free on
				// every address; other processes can exhaust the
				// ephemeral range (net.Listen fails the same way).
				t.Skipf("no free ephemeral port for a wildcard bind: %v", err)
			}
			if err != nil {
				t.Fatalf("Listen: %v", err)
			}
			defer netpoll.Close(lfd)
			ta, ok := bound.(*net.TCPAddr)
			if !ok || ta.Port == 0 {
				t.Fatalf("bound address %v, want a *net.TCPAddr with a port", bound)
			}
			if nfd, _, err := netpoll.Accept(lfd); !errors.Is(err, netpoll.ErrWouldBlock) || !errors.Is(err, unix.EAGAIN) {
				t.Fatalf("Accept with nothing pending = %d, %v; want ErrWouldBlock wrapping EAGAIN", nfd, err)
			}
			p := newPoller(t, netpoll.Config{})
			raddr := net.JoinHostPort(tt.dial, strconv.Itoa(ta.Port))
			cfd, err := netpoll.Connect("tcp", raddr, nil)
			if err != nil && !errors.Is(err, netpoll.ErrInProgress) {
				t.Fatalf("Connect(%s): %v", raddr, err)
			}
			defer netpoll.Close(cfd)
			if err := p.Add(cfd, netpoll.EventWrite); err != nil {
				t.Fatal(err)
			}
			waitFor(t, p, cfd, netpoll.EventWrite)
			if err := netpoll.SocketError(cfd); err != nil {
				t.Fatalf("SocketError after connect: %v", err)
			}
			sfd := acceptWithin(t, lfd, 5*time.Second)
			defer netpoll.Close(sfd)
			// The server must see the client's local address.
			csa, err := unix.Getsockname(cfd)
			if err != nil {
				t.Fatal(err)
			}
			ssa, err := unix.Getpeername(sfd)
			if err != nil {
				t.Fatal(err)
			}
			if c, s := netpoll.SockaddrToAddr(csa), netpoll.SockaddrToAddr(ssa); c.Port != s.Port || !c.IP.Equal(s.IP) {
				t.Fatalf("client local %v != server peer %v", c, s)
			}
			if err := netpoll.SetNoDelay(cfd, true); err != nil {
				t.Fatal(err)
			}
			mustWrite(t, cfd, "ping")
			if err := p.Add(sfd, netpoll.EventRead); err != nil {
				t.Fatal(err)
			}
			waitFor(t, p, sfd, netpoll.EventRead)
			if got := string(drain(t, sfd)); got != "ping" {
				t.Fatalf("server read %q", got)
			}
		})
	}
}

func TestAcceptReportsRemote(t *testing.T) {
	lfd, bound, err := netpoll.Listen("tcp4", "127.0.0.1:0", false, 16)
	if err != nil {
		t.Fatal(err)
	}
	defer netpoll.Close(lfd)
	c, err := net.Dial("tcp4", bound.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := newPoller(t, netpoll.Config{})
	if err := p.Add(lfd, netpoll.EventRead); err != nil {
		t.Fatal(err)
	}
	waitFor(t, p, lfd, netpoll.EventRead)
	nfd, remote, err := netpoll.Accept(lfd)
	if err != nil {
		t.Fatal(err)
	}
	defer netpoll.Close(nfd)
	if remote.String() != c.LocalAddr().String() {
		t.Fatalf("Accept remote = %v, want %v", remote, c.LocalAddr())
	}
	fl, err := unix.FcntlInt(uintptr(nfd), unix.F_GETFL, 0)
	if err != nil || fl&unix.O_NONBLOCK == 0 {
		t.Fatalf("accepted fd flags %#x, %v: want O_NONBLOCK", fl, err)
	}
	fd, err := unix.FcntlInt(uintptr(nfd), unix.F_GETFD, 0)
	if err != nil || fd&unix.FD_CLOEXEC == 0 {
		t.Fatalf("accepted fd flags %#x, %v: want FD_CLOEXEC", fd, err)
	}
}

func TestConnectFromSourceAddress(t *testing.T) {
	if !isLinux {
		t.Skip("127.0.0.2 is a loopback address by default only on Linux")
	}
	lfd, bound, err := netpoll.Listen("tcp4", "127.0.0.1:0", false, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer netpoll.Close(lfd)
	src := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}
	var fds []int
	for range 3 {
		cfd, err := netpoll.Connect("tcp4", bound.String(), src)
		if err != nil && !errors.Is(err, netpoll.ErrInProgress) {
			t.Fatalf("Connect from %v: %v", src, err)
		}
		fds = append(fds, cfd)
		sfd := acceptWithin(t, lfd, 5*time.Second)
		sa, err := unix.Getpeername(sfd)
		netpoll.Close(sfd)
		if err != nil {
			t.Fatal(err)
		}
		if got := netpoll.SockaddrToAddr(sa); !got.IP.Equal(src.IP) {
			t.Fatalf("server saw peer %v, want source %v", got, src.IP)
		}
	}
	for _, fd := range fds {
		netpoll.Close(fd)
	}
}

func TestConnectRefused(t *testing.T) {
	lfd, bound, err := netpoll.Listen("tcp4", "127.0.0.1:0", false, 0)
	if err != nil {
		t.Fatal(err)
	}
	netpoll.Close(lfd) // nobody listens on bound any more
	cfd, err := netpoll.Connect("tcp4", bound.String(), nil)
	switch {
	case errors.Is(err, netpoll.ErrInProgress):
		defer netpoll.Close(cfd)
		p := newPoller(t, netpoll.Config{})
		if err := p.Add(cfd, netpoll.EventWrite); err != nil {
			t.Fatal(err)
		}
		waitFor(t, p, cfd, netpoll.EventWrite)
		if err := netpoll.SocketError(cfd); !errors.Is(err, unix.ECONNREFUSED) {
			t.Fatalf("SocketError = %v, want ECONNREFUSED", err)
		}
		if err := netpoll.SocketError(cfd); err != nil {
			t.Fatalf("SocketError did not clear the error: %v", err)
		}
	case err == nil:
		netpoll.Close(cfd)
		t.Fatal("Connect to a closed port succeeded")
	default:
		if !errors.Is(err, unix.ECONNREFUSED) || cfd != -1 {
			t.Fatalf("Connect = %d, %v; want -1, ECONNREFUSED", cfd, err)
		}
	}
}

func TestListenReusePort(t *testing.T) {
	tests := []struct {
		name      string
		reusePort bool
		wantErr   bool
	}{
		{name: "with SO_REUSEPORT", reusePort: true},
		{name: "without", reusePort: false, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd1, bound, err := netpoll.Listen("tcp4", "127.0.0.1:0", tt.reusePort, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer netpoll.Close(fd1)
			fd2, _, err := netpoll.Listen("tcp4", bound.String(), tt.reusePort, 0)
			if err == nil {
				netpoll.Close(fd2)
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("second Listen on %v err = %v, want error %v", bound, err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, unix.EADDRINUSE) {
				t.Fatalf("second Listen err = %v, want EADDRINUSE", err)
			}
		})
	}
}

func TestBadAddresses(t *testing.T) {
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{name: "Listen udp", call: func() error { _, _, err := netpoll.Listen("udp", "127.0.0.1:0", false, 0); return err }, want: netpoll.ErrBadAddress},
		{name: "Listen negative backlog", call: func() error { _, _, err := netpoll.Listen("tcp", ":0", false, -1); return err }, want: netpoll.ErrBadAddress},
		{name: "Listen tcp4 on IPv6 literal", call: func() error { _, _, err := netpoll.Listen("tcp4", "[::1]:0", false, 0); return err }},
		{name: "Connect unix", call: func() error { _, err := netpoll.Connect("unix", "/tmp/x", nil); return err }, want: netpoll.ErrBadAddress},
		{name: "Connect laddr of wrong type", call: func() error {
			_, err := netpoll.Connect("tcp4", "127.0.0.1:1", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			return err
		}, want: netpoll.ErrBadAddress},
		{name: "Connect IPv6 laddr for IPv4 raddr", call: func() error {
			_, err := netpoll.Connect("tcp", "127.0.0.1:1", &net.TCPAddr{IP: net.IPv6loopback})
			return err
		}, want: netpoll.ErrBadAddress},
		{name: "Connect missing port", call: func() error { _, err := netpoll.Connect("tcp", "127.0.0.1", nil); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestReadWrite(t *testing.T) {
	a, b := socketpair(t)
	buf := make([]byte, 16)
	if n, err := netpoll.Read(a, nil); n != 0 || err != nil {
		t.Fatalf("Read(empty) = %d, %v", n, err)
	}
	if n, err := netpoll.Write(a, nil); n != 0 || err != nil {
		t.Fatalf("Write(empty) = %d, %v", n, err)
	}
	if _, err := netpoll.Read(a, buf); !errors.Is(err, netpoll.ErrWouldBlock) || !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("Read on empty socket err = %v, want ErrWouldBlock", err)
	}
	mustWrite(t, b, "abc")
	if n, err := netpoll.Read(a, buf); err != nil || string(buf[:n]) != "abc" {
		t.Fatalf("Read = %q, %v", buf[:n], err)
	}
	unix.Close(b)
	if _, err := netpoll.Read(a, buf); err != io.EOF {
		t.Fatalf("Read after peer close err = %v, want io.EOF", err)
	}
	if _, err := netpoll.Write(a, []byte("x")); !errors.Is(err, unix.EPIPE) {
		t.Fatalf("Write to closed peer err = %v, want EPIPE", err)
	}
	var se *os.SyscallError
	if _, err := netpoll.Read(-5, buf); !errors.As(err, &se) || !errors.Is(err, unix.EBADF) {
		t.Fatalf("Read(bad fd) err = %v, want *os.SyscallError EBADF", err)
	}
}

func TestShortWrite(t *testing.T) {
	a, b := socketpair(t)
	if err := unix.SetsockoptInt(a, unix.SOL_SOCKET, unix.SO_SNDBUF, 4096); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("z"), 8<<20)
	n, err := netpoll.Write(a, big)
	if err != nil || n <= 0 || n >= len(big) {
		t.Fatalf("Write(8 MiB) into a small buffer = %d, %v; want a short write", n, err)
	}
	if _, err := netpoll.Write(a, big); !errors.Is(err, netpoll.ErrWouldBlock) {
		t.Fatalf("Write into a full buffer err = %v, want ErrWouldBlock", err)
	}
	if got := len(drain(t, b)); got != n {
		t.Fatalf("peer read %d bytes, want %d", got, n)
	}
}

func TestWritev(t *testing.T) {
	many := make([][]byte, netpoll.MaxWritevBuffers+10)
	var manyWant []byte
	for i := range many {
		many[i] = []byte{byte('a' + i%26)}
		if i < netpoll.MaxWritevBuffers {
			manyWant = append(manyWant, many[i]...)
		}
	}
	tests := []struct {
		name string
		bufs [][]byte
		want string
	}{
		{name: "nil", bufs: nil, want: ""},
		{name: "only empty", bufs: [][]byte{{}, nil}, want: ""},
		{name: "one", bufs: [][]byte{[]byte("hello")}, want: "hello"},
		{name: "header and payload", bufs: [][]byte{{0x81, 0x05}, []byte("hello")}, want: "\x81\x05hello"},
		{name: "empty buffers skipped", bufs: [][]byte{nil, []byte("a"), {}, []byte("b"), nil}, want: "ab"},
		{name: "more than MaxWritevBuffers", bufs: many, want: string(manyWant)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := socketpair(t)
			n, err := netpoll.Writev(a, tt.bufs)
			if err != nil || n != len(tt.want) {
				t.Fatalf("Writev = %d, %v; want %d", n, err, len(tt.want))
			}
			if got := string(drain(t, b)); got != tt.want {
				t.Fatalf("peer read %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWritevWouldBlock(t *testing.T) {
	a, b := socketpair(t)
	fillUntilBlocked(t, a)
	if _, err := netpoll.Writev(a, [][]byte{[]byte("x")}); !errors.Is(err, netpoll.ErrWouldBlock) {
		t.Fatalf("Writev into a full buffer err = %v, want ErrWouldBlock", err)
	}
	unix.Close(b)
	_ = a
}

func TestDetachFD(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	fd, err := netpoll.DetachFD(server)
	if err != nil {
		t.Fatalf("DetachFD: %v", err)
	}
	defer netpoll.Close(fd)
	if _, err := server.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("original conn still usable after DetachFD: %v", err)
	}
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil || fl&unix.O_NONBLOCK == 0 {
		t.Fatalf("detached fd flags %#x, %v: want O_NONBLOCK", fl, err)
	}
	mustWrite(t, fd, "from reactor")
	client.SetDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	n, err := io.ReadAtLeast(client, buf, len("from reactor"))
	if err != nil || string(buf[:n]) != "from reactor" {
		t.Fatalf("client read %q, %v", buf[:n], err)
	}
	p := newPoller(t, netpoll.Config{})
	if err := p.Add(fd, netpoll.EventRead); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Write([]byte("to reactor")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, p, fd, netpoll.EventRead)
	if got := string(drain(t, fd)); got != "to reactor" {
		t.Fatalf("reactor read %q", got)
	}
}

func TestDetachFDWithoutFD(t *testing.T) {
	c1, c2 := net.Pipe()
	defer c2.Close()
	if _, err := netpoll.DetachFD(c1); !errors.Is(err, netpoll.ErrNoFD) {
		t.Fatalf("DetachFD(net.Pipe) err = %v, want ErrNoFD", err)
	}
	// c1 must be left open.
	go c2.Read(make([]byte, 1))
	if _, err := c1.Write([]byte("x")); err != nil {
		t.Fatalf("conn closed by failed DetachFD: %v", err)
	}
	c1.Close()
}

func TestSocketOptions(t *testing.T) {
	sfd, _ := tcpPair(t)
	for _, on := range []bool{true, false} {
		if err := netpoll.SetNoDelay(sfd, on); err != nil {
			t.Fatal(err)
		}
		v, err := unix.GetsockoptInt(sfd, unix.IPPROTO_TCP, unix.TCP_NODELAY)
		if err != nil || (v != 0) != on {
			t.Fatalf("TCP_NODELAY = %d, %v after SetNoDelay(%v)", v, err, on)
		}
		if err := netpoll.SetNonblock(sfd, on); err != nil {
			t.Fatal(err)
		}
		fl, err := unix.FcntlInt(uintptr(sfd), unix.F_GETFL, 0)
		if err != nil || (fl&unix.O_NONBLOCK != 0) != on {
			t.Fatalf("O_NONBLOCK = %v, %v after SetNonblock(%v)", fl&unix.O_NONBLOCK != 0, err, on)
		}
	}
	netpoll.SetNonblock(sfd, true)
	if err := netpoll.SetNoDelay(-1, true); !errors.Is(err, unix.EBADF) {
		t.Fatalf("SetNoDelay(-1) err = %v", err)
	}
}

func TestClose(t *testing.T) {
	a, _ := socketpair(t)
	fd, err := unix.Dup(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := netpoll.Close(fd); err != nil {
		t.Fatal(err)
	}
	if err := netpoll.Close(fd); !errors.Is(err, unix.EBADF) {
		t.Fatalf("second Close err = %v, want EBADF", err)
	}
	if err := netpoll.Close(-1); !errors.Is(err, netpoll.ErrBadFD) {
		t.Fatalf("Close(-1) err = %v, want ErrBadFD", err)
	}
}

func TestSockaddrToAddr(t *testing.T) {
	tests := []struct {
		name string
		sa   unix.Sockaddr
		want string
	}{
		{name: "nil", sa: nil, want: "<nil>"},
		{name: "IPv4", sa: &unix.SockaddrInet4{Port: 80, Addr: [4]byte{127, 0, 0, 1}}, want: "127.0.0.1:80"},
		{name: "IPv6", sa: &unix.SockaddrInet6{Port: 443, Addr: [16]byte{15: 1}}, want: "[::1]:443"},
		{name: "IPv6 with unknown zone", sa: &unix.SockaddrInet6{Port: 1, ZoneId: 4242, Addr: [16]byte{0: 0xfe, 1: 0x80, 15: 1}}, want: "[fe80::1%4242]:1"},
		{name: "unix socket", sa: &unix.SockaddrUnix{Name: "/tmp/s"}, want: "<nil>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := netpoll.SockaddrToAddr(tt.sa)
			s := "<nil>"
			if got != nil {
				s = got.String()
			}
			if s != tt.want {
				t.Fatalf("SockaddrToAddr = %s, want %s", s, tt.want)
			}
		})
	}
	// The result must not alias the sockaddr, which the caller may reuse.
	sa := &unix.SockaddrInet4{Port: 1, Addr: [4]byte{10, 0, 0, 1}}
	a := netpoll.SockaddrToAddr(sa)
	sa.Addr[3] = 9
	if !strings.HasPrefix(a.String(), "10.0.0.1:") {
		t.Fatalf("result aliases the sockaddr: %v", a)
	}
}
