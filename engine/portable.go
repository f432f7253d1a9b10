package engine

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/internal/bufpool"
	"github.com/surgews/surge/internal/counters"
	"github.com/surgews/surge/internal/handshake"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

// portableReadBuffer is the read buffer of each portable connection.
const portableReadBuffer = 16 << 10

// maxPending bounds the bytes the portable driver has taken from its session
// but not yet written; past it Write takes less and the session keeps the rest
// in its own bounded backlog, as it does on a socket that is full.
const maxPending = 64 << 10

// portable is the portable driver: a session over any net.Conn (TLS, unix
// sockets, net.Pipe, systems without epoll or kqueue) with one goroutine
// that reads and feeds, and one that writes.
//
// Why a writer goroutine: the session holds its lock while it calls Write,
// and a blocking net.Conn write can last as long as the peer does not read.
// Writing there would stop pongs, CloseReason and Close from every other
// goroutine for that long (and over a net.Pipe, which has no buffer, an
// echo would deadlock). Write only copies into a bounded buffer, so the
// session's lock is never held across I/O; a peer that stops reading
// fills that buffer, then the session's backlog, and its backpressure policy
// applies, as on the event loops.
type portable struct {
	nc           net.Conn
	ep           seam.Endpoint
	writeTimeout time.Duration // a peer that reads nothing for this long fails the write

	mu      sync.Mutex
	cond    sync.Cond     // wakes the writer and a paused reader
	pending *bufpool.Buf  // taken from the session, not yet written; nil when none
	want    bool          // the session waits for Writable
	paused  bool          // the session asked to stop reading
	closing bool          // CloseTransport was called, or the transport failed
	timer   *time.Timer   // the session's one timer
	written chan struct{} // closed when the writer has closed nc
	ctr     *counters.Set // the server's or dialer's counters of portable connections
}

func newPortable(nc net.Conn, ctr *counters.Set) *portable {
	p := &portable{nc: nc, written: make(chan struct{}), ctr: ctr}
	p.cond.L = &p.mu
	return p
}

// bind gives the driver its session, before anything may use the driver:
// the session arms its timer through it as soon as it closes.
// writeTimeout bounds a blocked write.
func (p *portable) bind(ep seam.Endpoint, writeTimeout time.Duration) {
	p.ep, p.writeTimeout = ep, writeTimeout
}

// start opens the session and runs the writer and the reader on goroutines
// of their own; pre are bytes read past the handshake.
func (p *portable) start(pre []byte) {
	p.ep.Start(nil)
	go p.writeLoop()
	go p.readLoop(pre)
}

// run is start with the reader on the calling goroutine: it returns when the
// session has ended.
func (p *portable) run(head, pre []byte) {
	p.ep.Start(head)
	go p.writeLoop()
	p.readLoop(pre)
}

// Write takes what fits in the pending buffer, without blocking.
func (p *portable) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closing {
		return 0, net.ErrClosed
	}
	held := 0
	if p.pending != nil {
		held = len(p.pending.B)
	}
	n := min(len(b), maxPending-held)
	if n == 0 {
		return 0, nil
	}
	if p.pending == nil {
		p.pending = bufpool.Get(n)
	}
	p.pending = bufpool.Grow(p.pending, n)
	p.pending.B = append(p.pending.B, b[:n]...)
	p.cond.Broadcast()
	return n, nil
}

// WantWrite asks the writer to call Writable once the pending bytes are out.
func (p *portable) WantWrite() {
	p.ctr.WriteWaits.Add(1)
	p.mu.Lock()
	p.want = true
	p.mu.Unlock()
	p.cond.Broadcast()
}

// PauseRead stops or resumes the reader.
func (p *portable) PauseRead(paused bool) {
	p.mu.Lock()
	if paused && !p.paused {
		p.ctr.ReadPauses.Add(1)
	}
	p.paused = paused
	p.mu.Unlock()
	p.cond.Broadcast()
}

// SetTimer arms a time.Timer: the portable driver has no timing wheel.
func (p *portable) SetTimer(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if d <= 0 {
		if p.timer != nil {
			p.timer.Stop()
		}
		return
	}
	if p.timer == nil {
		p.timer = time.AfterFunc(d, p.ep.Timer)
		return
	}
	p.timer.Reset(d)
}

// CloseTransport with flush lets the writer hand over what is pending (the
// close frame, typically), within the write timeout, and close the
// connection; without, it closes the connection now, which also ends a
// write blocked on a peer that does not read.
// Remote is seam.Driver.Remote.
func (p *portable) Remote() netip.AddrPort { return addrPort(p.nc.RemoteAddr()) }

// Counters is seam.Driver.Counters.
func (p *portable) Counters() *counters.Set {
	if !statsOn {
		return nil
	}
	return p.ctr
}

func (p *portable) CloseTransport(flush bool) {
	p.mu.Lock()
	p.closing = true
	p.mu.Unlock()
	p.cond.Broadcast()
	if !flush {
		_ = p.nc.Close()
	}
}

// writeLoop writes pending bytes until the transport closes, then closes nc.
func (p *portable) writeLoop() {
	defer close(p.written)
	p.mu.Lock()
	for {
		for p.pending == nil && !p.want && !p.closing {
			p.cond.Wait()
		}
		if buf := p.pending; buf != nil {
			p.pending = nil
			p.mu.Unlock()
			if p.writeTimeout > 0 {
				_ = p.nc.SetWriteDeadline(time.Now().Add(p.writeTimeout))
			}
			n, err := p.nc.Write(buf.B)
			p.ctr.WireOut.Add(uint64(n))
			bufpool.Put(buf)
			p.mu.Lock()
			if err != nil {
				p.closing = true
				if p.pending != nil {
					bufpool.Put(p.pending)
					p.pending = nil
				}
			}
			continue
		}
		if p.want && !p.closing {
			p.want = false
			p.mu.Unlock()
			p.ep.Writable()
			p.mu.Lock()
			continue
		}
		break // closing, and nothing is left to write
	}
	p.mu.Unlock()
	_ = p.nc.Close()
	p.cond.Broadcast()
}

// readLoop feeds the session until the connection ends, then ends the
// session.
func (p *portable) readLoop(pre []byte) {
	if len(pre) > 0 {
		p.ctr.WireIn.Add(uint64(len(pre)))
		_ = p.ep.Feed(pre)
	}
	buf := make([]byte, portableReadBuffer)
	var err error
	for {
		p.mu.Lock()
		for p.paused && !p.closing {
			p.cond.Wait()
		}
		p.mu.Unlock()
		var n int
		n, err = p.nc.Read(buf)
		if n > 0 {
			p.ctr.WireIn.Add(uint64(n))
			_ = p.ep.Feed(buf[:n])
		}
		if err != nil {
			break
		}
	}
	p.mu.Lock()
	asked := p.closing
	p.mu.Unlock()
	if asked || errors.Is(err, net.ErrClosed) {
		err = nil // our own close ended the read
	}
	p.CloseTransport(true)
	<-p.written
	p.SetTimer(0)
	p.ep.Closed(err)
}

// ServeConn serves one connection that has not sent its upgrade request yet
// with the portable driver, on the calling goroutine, until the session ends.
// It is how a server takes connections from a listener of its own, from a
// net.Pipe in a test, or on a system without event loops.
func (s *Server) ServeConn(nc net.Conn) {
	s.portableConns.Add(1)
	defer s.portableConns.Add(-1)
	s.portableCtr.Accepted.Add(1)
	_ = nc.SetReadDeadline(time.Now().Add(s.cfg.handshakeTimeout()))
	var head []byte
	buf := make([]byte, 4096)
	var exts []extension.Extension
	upgrade := s.upgradePolicy(&exts)
	for {
		n, err := nc.Read(buf)
		head = append(head, buf[:n]...)
		if n > 0 {
			res, out, uerr := handshake.Upgrade(head, &upgrade, nil)
			if !errors.Is(uerr, handshake.ErrIncomplete) {
				if uerr == nil && s.closed.Load() {
					out = handshake.AppendReject(out[:0], handshake.ErrServerClosed)
					uerr = handshake.ErrServerClosed
				}
				written := false
				if len(out) > 0 {
					_, werr := nc.Write(out)
					if werr != nil && uerr == nil {
						uerr = werr
					}
					written = werr == nil
				}
				mk := s.match(res.Request.Path)
				if uerr != nil || mk == nil {
					if rej, ok := errors.AsType[*handshake.RejectError](uerr); ok {
						s.portableCtr.Rejected[counters.StatusBucket(rej.Status)].Add(1)
					}
					if written {
						closeLingering(nc)
					} else {
						_ = nc.Close()
					}
					return
				}
				_ = nc.SetReadDeadline(time.Time{})
				req := session.Request{
					Path: res.Request.Path, RawQuery: res.Request.RawQuery, Remote: addrPort(nc.RemoteAddr()),
					Header: res.Request.Header, Protocol: res.Protocol, Extensions: exts,
				}
				s.portableCtr.Upgraded.Add(1)
				s.runPortable(nc, mk, req, head[:res.HeadLen], head[res.HeadLen:])
				return
			}
		}
		if err != nil {
			_ = nc.Close()
			return
		}
	}
}

// runPortable runs an upgraded server session over nc on the calling
// goroutine.
func (s *Server) runPortable(nc net.Conn, mk newSessionFunc, req session.Request, head, pre []byte) {
	p := newPortable(nc, &s.portableCtr)
	sess, ep := mk(seam.Server, p, req)
	p.bind(ep, sess.Timeout())
	s.trackPortable(sess, true)
	defer s.trackPortable(sess, false)
	if s.closed.Load() {
		// Shutdown has already closed the sessions it knew of.
		_ = sess.Close(closeGoingAway)
	}
	p.run(head, pre)
}

// servePortable accepts from ln and serves each connection on a goroutine.
func (s *Server) servePortable(ln net.Listener) error {
	s.mu.Lock()
	if s.addr == nil {
		s.addr = ln.Addr()
	}
	s.mu.Unlock()
	go func() {
		<-s.done
		_ = ln.Close()
	}()
	var pause acceptPause
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closed.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || resourceShortage(err) {
				wait := pause.next()
				s.logAcceptPause(err, wait)
				time.Sleep(wait)
				continue
			}
			return err
		}
		pause.reset()
		if s.closed.Load() {
			_ = nc.Close()
			continue
		}
		go s.ServeConn(nc)
	}
}

// addrPort converts a TCP address, IPv4 unmapped, for session.Request.Remote:
// netpoll (like package net) stores an IPv4 address in 16 bytes, which
// TCPAddr.AddrPort would report as ::ffff:a.b.c.d.
func addrPort(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		ap := t.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}
