//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package engine

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/surgews/surge/internal/bufpool"
	"github.com/surgews/surge/internal/handshake"
	"github.com/surgews/surge/internal/netpoll"
	"github.com/surgews/surge/session"
)

// errHandshakeTooLarge is the error of a server whose answer head is over the
// limit, as on the portable (wss://) path.
var errHandshakeTooLarge = &HandshakeError{Reason: fmt.Sprintf("response head over %d bytes", defaultMaxHeaderBytes)}

// startDialerReactor starts a Dialer's loops.
func startDialerReactor(cfg ReactorConfig) (*reactor, error) { return startReactor(cfg, nil, nil) }

// dialReactor connects without blocking and runs the handshake on a loop of
// rc.
func dialReactor(ctx context.Context, rc *reactor, addr string, opts *DialOptions, req []byte, d *dialing) (*session.Session, error) {
	var laddr net.Addr
	if opts.LocalAddr != nil {
		laddr = opts.LocalAddr
	}
	fd, err := netpoll.Connect("tcp", addr, laddr)
	if err != nil && !errors.Is(err, netpoll.ErrInProgress) {
		return nil, err
	}
	_ = netpoll.SetKeepAlive(fd, rc.cfg.keepAlive())
	d.req = req
	l := rc.pick()
	c := &conn{fdNum: int32(fd), loop: l, dial: d}
	l.post(task{kind: taskDial, c: c})
	select {
	case r := <-d.done:
		return r.s, r.err
	case <-ctx.Done():
		c.CloseTransport(false)
		r := <-d.done
		if r.err == nil {
			// The handshake won the race: keep the promise of ctx anyway.
			r.s.Terminate()
		}
		return nil, ctx.Err()
	}
}

// startDial registers a connecting client fd: writability means connected.
func (l *loop) startDial(c *conn) {
	if err := l.poll.Add(c.fd(), netpoll.EventWrite|netpoll.EventRead); err != nil {
		c.flags.Or(flagClosed) // so a later CloseTransport cannot touch the fd number
		_ = netpoll.Close(c.fd())
		c.dial.done <- dialResult{err: err}
		return
	}
	c.setInterest(netpoll.EventWrite | netpoll.EventRead)
	l.register(c)
	l.wheel.Schedule(&c.timer, defaultDialTimeout)
}

// dialEvent drives a client connection through connect and handshake.
func (l *loop) dialEvent(c *conn, ev netpoll.Event) {
	d := c.dial
	if d.req != nil {
		if ev&(netpoll.EventWrite|netpoll.EventErr|netpoll.EventHup) == 0 {
			return
		}
		if err := netpoll.SocketError(c.fd()); err != nil {
			l.closeConn(c, err)
			return
		}
		if _, err := getpeername(c.fd()); err != nil {
			// A stale event for an earlier fd of the same number: the
			// connect is still in progress.
			return
		}
		_ = netpoll.SetNoDelay(c.fd(), true)
		w, err := netpoll.Write(c.fd(), d.req)
		if err == nil && w < len(d.req) {
			err = errors.New("engine: short write of the handshake request")
		}
		if err != nil {
			l.closeConn(c, err)
			return
		}
		d.req = nil
		if err := l.poll.Modify(c.fd(), netpoll.EventRead); err == nil {
			c.setInterest(netpoll.EventRead)
		}
		return
	}
	n, err := netpoll.Read(c.fd(), l.buf)
	if n > 0 {
		if d.head == nil {
			d.head = bufpool.Get(n)
		}
		d.head = bufpool.Grow(d.head, n)
		d.head.B = append(d.head.B, l.buf[:n]...)
		if end := handshake.HeaderEnd(d.head.B); end >= 0 {
			l.dialDone(c)
			return
		}
		if len(d.head.B) > defaultMaxHeaderBytes {
			l.closeConn(c, errHandshakeTooLarge)
			return
		}
	}
	if err != nil && !errors.Is(err, netpoll.ErrWouldBlock) {
		l.closeConn(c, err)
	}
}

// dialDone finishes the client handshake and hands the session to Dial.
func (l *loop) dialDone(c *conn) {
	d := c.dial
	var remote net.Addr
	if ap, err := getpeername(c.fd()); err == nil {
		remote = net.TCPAddrFromAddrPort(ap)
		c.peer = l.reactor.zones.pack(ap)
	}
	if connEdge != 0 {
		// Level-triggered through the handshake, which dialEvent reads
		// once per event; the session's reads are edge-triggered like an
		// accepted connection's. epoll_ctl reports at once what is
		// already waiting.
		if err := l.poll.Modify(c.fd(), c.interest()|connEdge); err != nil {
			l.closeConn(c, err)
			return
		}
	}
	s, ep, n, err := d.finish(d.head.B, c, remote)
	if err != nil {
		l.closeConn(c, err)
		return
	}
	l.wheel.Stop(&c.timer)
	c.dial = nil
	c.ep = ep
	l.ctr.Upgraded.Add(1)
	d.done <- dialResult{s: s}
	ep.Start(nil)
	if rest := d.head.B[n:]; len(rest) > 0 && c.open() {
		_ = ep.Feed(rest)
	}
	bufpool.Put(d.head)
	d.head = nil
}
