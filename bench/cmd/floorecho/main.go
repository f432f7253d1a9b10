//go:build linux

// Command floorecho is a reference, not a library: the least a WebSocket
// echo server can do per message on this kernel, to measure how much of a
// server's CPU per echo any engine could still save. It shares no code
// with surge or with the peers.
//
//	floorecho -io epoll -addr 127.0.0.1:0
//	floorecho -io epoll-sock -addr 127.0.0.1:0
//	floorecho -io uring -addr 127.0.0.1:0
//	floorecho -io uring-multishot -addr 127.0.0.1:0
//
// It does the handshake (without checking anything but the key) and then,
// per read, unmasks every complete frame in place and answers it with one
// write: data frames are echoed frame by frame, pings get pongs, a close is
// echoed and the connection closed. It does not validate UTF-8, reserved
// bits, control-frame sizes or fragment order, so it is not a conforming
// server, and it must never be measured as one: it is a floor under every
// server's cost, as the issue "Performance: lead in every shape of load"
// asks how far the lead can go.
//
// -io epoll runs one thread on level-triggered epoll with non-blocking
// read(2) and write(2), one of each per read, as raw system calls;
// -io epoll-sock the same with recvfrom(2) and sendto(2), which skip the
// VFS layer (surge's engine uses them). bench/floorc is the latter in C.
// -io uring keeps a recv in flight on every connection in an io_uring and
// submits the sends with it, so a batch of echoes costs one io_uring_enter
// instead of a read and a write each. -io uring-multishot keeps one
// multishot recv armed per connection instead, with buffers from a ring
// that every connection shares (Linux 6.0 or later).
//
// It prints "echoserver lib=floor-IO pid=PID addr=HOST:PORT" once it
// listens, the line bench's scripts read from cmd/echoserver, and serves
// until SIGINT or SIGTERM.
package main

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "floorecho:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("floorecho", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (IPv4)")
	io := fs.String("io", "epoll", "epoll (read and write per read), epoll-sock (recvfrom and sendto instead), uring (io_uring recv and send) or uring-multishot (one recv armed per connection, shared buffers)")
	bufSize := fs.Int("buf", 64<<10, "read buffer size: one shared by every connection (epoll), one per connection (uring), 4096 shared (uring-multishot)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	lfd, bound, err := listen(*addr)
	if err != nil {
		return err
	}
	quit := make(chan os.Signal, 1)
	signal.Notify(quit, syscall.SIGINT, syscall.SIGTERM)
	// cmd/echoserver takes snapshots on these; the floor keeps none, and
	// their default action would end it.
	signal.Ignore(syscall.SIGUSR1, syscall.SIGUSR2)
	errc := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		// The loop owns its thread: io_uring's single-issuer ring must be
		// entered from the thread that made it.
		runtime.LockOSThread()
		switch *io {
		case "epoll", "epoll-sock":
			errc <- serveEpoll(lfd, *bufSize, *io == "epoll-sock", ready)
		case "uring":
			errc <- serveUring(lfd, *bufSize, false, ready)
		case "uring-multishot":
			errc <- serveUring(lfd, *bufSize, true, ready)
		default:
			errc <- fmt.Errorf("-io %q: want epoll, epoll-sock, uring or uring-multishot", *io)
		}
	}()
	select {
	case <-ready:
	case err := <-errc:
		return err
	}
	fmt.Printf("echoserver lib=floor-%s pid=%d addr=%s\n", *io, os.Getpid(), bound)
	select {
	case <-quit:
		return nil
	case err := <-errc:
		return err
	}
}

// listen opens a non-blocking IPv4 TCP listener on addr.
func listen(addr string) (int, netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().Is4() {
		return -1, ap, fmt.Errorf("-addr %q: want IPv4 host:port", addr)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, ap, err
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}); err != nil {
		unix.Close(fd)
		return -1, ap, err
	}
	if err := unix.Listen(fd, 4096); err != nil {
		unix.Close(fd)
		return -1, ap, err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return -1, ap, err
	}
	in := sa.(*unix.SockaddrInet4)
	return fd, netip.AddrPortFrom(netip.AddrFrom4(in.Addr), uint16(in.Port)), nil
}

// errProtocol ends a connection whose bytes are not what a client sends.
var errProtocol = errors.New("protocol error")

// conn is one connection's WebSocket state; the I/O belongs to the loop.
type conn struct {
	fd       int
	upgraded bool
	closing  bool   // a close was answered: send what is queued, then close
	pend     []byte // bytes of an incomplete request or frame, kept across reads
}

// maxRequest bounds a handshake request.
const maxRequest = 8 << 10

// serve consumes data read from c and appends the answer to out; data may
// be modified in place (unmasked). Bytes of an incomplete frame are kept in
// c.pend.
func (c *conn) serve(data, out []byte) ([]byte, error) {
	if len(c.pend) > 0 {
		c.pend = append(c.pend, data...)
		data = c.pend
	}
	if !c.upgraded {
		end := bytes.Index(data, []byte("\r\n\r\n"))
		if end < 0 {
			if len(data) > maxRequest {
				return out, errProtocol
			}
			c.keep(data)
			return out, nil
		}
		var err error
		if out, err = accept(data[:end], out); err != nil {
			return out, err
		}
		c.upgraded = true
		data = data[end+4:]
	}
	for !c.closing {
		if len(data) < 2 {
			break
		}
		b0, b1 := data[0], data[1]
		if b1&0x80 == 0 {
			return out, errProtocol // clients must mask
		}
		h := 2
		switch b1 & 0x7f {
		case 126:
			h = 4
		case 127:
			h = 10
		}
		if len(data) < h+4 {
			break
		}
		n := uint64(b1 & 0x7f)
		switch h {
		case 4:
			n = uint64(binary.BigEndian.Uint16(data[2:]))
		case 10:
			n = binary.BigEndian.Uint64(data[2:])
		}
		if n > 1<<30 {
			return out, errProtocol
		}
		if uint64(len(data)-h-4) < n {
			break
		}
		key := data[h : h+4]
		p := data[h+4 : h+4+int(n)]
		unmask(p, binary.LittleEndian.Uint32(key))
		switch op := b0 & 0x0f; op {
		case 0x9: // ping: pong
			out = frame(out, 0x80|0xA, p)
		case 0xA: // pong: nothing
		case 0x8: // close: echo it, then close
			out = frame(out, 0x80|0x8, p)
			c.closing = true
		default:
			out = frame(out, b0, p)
		}
		data = data[h+4+int(n):]
	}
	c.keep(data)
	return out, nil
}

// keep makes rest (which may alias c.pend) c's pending bytes.
func (c *conn) keep(rest []byte) {
	if len(rest) == 0 {
		c.pend = c.pend[:0]
		return
	}
	c.pend = append(c.pend[:0], rest...) // copy moves down when rest aliases c.pend
}

// frame appends an unmasked server frame with first byte b0.
func frame(out []byte, b0 byte, p []byte) []byte {
	switch n := len(p); {
	case n < 126:
		out = append(out, b0, byte(n))
	case n < 1<<16:
		out = append(out, b0, 126, byte(n>>8), byte(n))
	default:
		out = append(out, b0, 127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	return append(out, p...)
}

// unmask XORs p with the 4-byte key (little-endian), eight bytes at a time.
func unmask(p []byte, key uint32) {
	k := uint64(key)<<32 | uint64(key)
	for len(p) >= 8 {
		binary.LittleEndian.PutUint64(p, binary.LittleEndian.Uint64(p)^k)
		p = p[8:]
	}
	for i := range p {
		p[i] ^= byte(key >> (8 * (i & 3)))
	}
}

// accept appends the 101 answer to the request head req.
func accept(req, out []byte) ([]byte, error) {
	const name = "sec-websocket-key:"
	for line := range bytes.SplitSeq(req, []byte("\r\n")) {
		if len(line) > len(name) && bytes.EqualFold(line[:len(name)], []byte(name)) {
			key := bytes.TrimSpace(line[len(name):])
			h := sha1.New()
			h.Write(key)
			h.Write([]byte("258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
			out = append(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
			out = base64.StdEncoding.AppendEncode(out, h.Sum(nil))
			return append(out, "\r\n\r\n"...), nil
		}
	}
	return out, errProtocol
}
