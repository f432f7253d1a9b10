//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package netpoll_test

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/surgews/surge/internal/netpoll"
	"golang.org/x/sys/unix"
)

// A minimal reactor step: register an fd, wait, and read what is ready.
func ExampleNew() {
	p, err := netpoll.New(netpoll.Config{})
	if err != nil {
		panic(err)
	}
	defer p.Close()

	fds, _ := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	netpoll.SetNonblock(fds[0], true)

	if err := p.Add(fds[0], netpoll.EventRead); err != nil {
		panic(err)
	}
	netpoll.Write(fds[1], []byte("hello"))

	buf := make([]byte, 64) // the loop's shared read buffer
	// The callback is created once and reused: Wait does not allocate.
	onReady := func(fd int, ev netpoll.Event) {
		n, err := netpoll.Read(fd, buf)
		fmt.Printf("%v: %q %v\n", ev, buf[:n], err)
	}
	n, err := p.Wait(time.Second, onReady)
	fmt.Println(n, err)
	// Output:
	// read: "hello" <nil>
	// 1 <nil>
}

// Wake ends a Wait from another goroutine, for example after queueing work
// for the loop.
func ExamplePoller_Wake() {
	p, err := netpoll.New(netpoll.Config{})
	if err != nil {
		panic(err)
	}
	defer p.Close()

	go p.Wake()
	n, err := p.Wait(-1, func(int, netpoll.Event) {})
	fmt.Println(n, err)
	// Output: 0 <nil>
}

// Close ends a blocked Wait with ErrClosed, the loop's signal to stop.
func ExamplePoller_Close() {
	p, err := netpoll.New(netpoll.Config{})
	if err != nil {
		panic(err)
	}
	done := make(chan error)
	go func() {
		_, err := p.Wait(-1, func(int, netpoll.Event) {})
		done <- err
	}()
	p.Close()
	err = <-done
	fmt.Println(errors.Is(err, netpoll.ErrClosed), errors.Is(err, net.ErrClosed))
	// Output: true true
}

// The server and client halves of a connection without net.Conn.
func ExampleListen() {
	lfd, addr, err := netpoll.Listen("tcp4", "127.0.0.1:0", true, 0)
	if err != nil {
		panic(err)
	}
	defer netpoll.Close(lfd)

	cfd, err := netpoll.Connect("tcp4", addr.String(), nil)
	if err != nil && !errors.Is(err, netpoll.ErrInProgress) {
		panic(err)
	}
	defer netpoll.Close(cfd)

	p, _ := netpoll.New(netpoll.Config{})
	defer p.Close()
	p.Add(lfd, netpoll.EventRead)
	p.Add(cfd, netpoll.EventWrite)

	var sfd int = -1
	connected := false
	for i := 0; i < 50 && (sfd < 0 || !connected); i++ {
		p.Wait(time.Second, func(fd int, ev netpoll.Event) {
			switch fd {
			case lfd:
				if nfd, _, err := netpoll.Accept(lfd); err == nil {
					sfd = nfd
				}
			case cfd:
				connected = netpoll.SocketError(cfd) == nil
				p.Modify(cfd, 0) // stop watching writability
			}
		})
	}
	defer netpoll.Close(sfd)

	netpoll.Write(cfd, []byte("ping"))
	p.Add(sfd, netpoll.EventRead)
	buf := make([]byte, 16)
	p.Wait(time.Second, func(fd int, ev netpoll.Event) {
		if fd == sfd {
			n, _ := netpoll.Read(sfd, buf)
			fmt.Printf("server got %q\n", buf[:n])
		}
	})
	// Output: server got "ping"
}

// Writev sends a frame header and its payload in one system call.
func ExampleWritev() {
	fds, _ := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])

	header := []byte{0x81, 0x05} // FIN + text, 5-byte payload (RFC 6455 section 5.2)
	n, err := netpoll.Writev(fds[0], [][]byte{header, []byte("hello")})
	fmt.Println(n, err)

	buf := make([]byte, 16)
	n, _ = netpoll.Read(fds[1], buf)
	fmt.Printf("% x\n", buf[:n])
	// Output:
	// 7 <nil>
	// 81 05 68 65 6c 6c 6f
}

// DetachFD moves a connection accepted by the net package (for example one
// hijacked from net/http after the upgrade) into the reactor.
func ExampleDetachFD() {
	ln, _ := net.Listen("tcp4", "127.0.0.1:0")
	defer ln.Close()
	client, _ := net.Dial("tcp4", ln.Addr().String())
	defer client.Close()
	conn, _ := ln.Accept()

	fd, err := netpoll.DetachFD(conn)
	if err != nil {
		panic(err)
	}
	defer netpoll.Close(fd)

	netpoll.Write(fd, []byte("from the reactor"))
	buf := make([]byte, 32)
	n, _ := client.Read(buf)
	fmt.Printf("%s\n", buf[:n])
	// Output: from the reactor
}

func ExampleSockaddrToAddr() {
	sa := &unix.SockaddrInet4{Port: 8080, Addr: [4]byte{127, 0, 0, 1}}
	fmt.Println(netpoll.SockaddrToAddr(sa))
	// Output: 127.0.0.1:8080
}
