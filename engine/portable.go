package engine

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/gobwas/httphead"
	"github.com/surgews/surge/internal/handshake"
	"github.com/surgews/surge/session"
)

// portableReadBuffer is the read buffer of each portable connection.
const portableReadBuffer = 16 << 10

// pconn is the portable driver: a session over any net.Conn (TLS, unix
// sockets, net.Pipe, systems without epoll or kqueue), with one goroutine per
// connection that reads and feeds, and blocking writes.
type pconn struct {
	nc     net.Conn
	sess   *session.Session
	mu     sync.Mutex
	cond   sync.Cond
	pause  bool
	closed bool
	timer  *time.Timer
	once   sync.Once
	wdl    time.Duration // write deadline: a peer that stops reading fails the write
}

// Write writes all of b, blocking; a peer that reads nothing for the write
// timeout fails it.
func (p *pconn) Write(b []byte) (int, error) {
	if p.wdl > 0 {
		_ = p.nc.SetWriteDeadline(time.Now().Add(p.wdl))
	}
	return p.nc.Write(b)
}

// WantWrite is never needed: writes do not return short.
func (p *pconn) WantWrite() {}

// PauseRead stops or resumes the reading goroutine.
func (p *pconn) PauseRead(paused bool) {
	p.mu.Lock()
	p.pause = paused
	p.mu.Unlock()
	if !paused {
		p.cond.Broadcast()
	}
}

// SetTimer arms a time.Timer (the portable driver has no wheel).
func (p *pconn) SetTimer(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if d <= 0 {
		if p.timer != nil {
			p.timer.Stop()
		}
		return
	}
	if p.timer == nil {
		p.timer = time.AfterFunc(d, p.sess.Timer)
		return
	}
	p.timer.Reset(d)
}

// CloseTransport closes the connection; the reading goroutine then ends the
// session.
func (p *pconn) CloseTransport() {
	p.once.Do(func() {
		_ = p.nc.Close()
		p.mu.Lock()
		p.closed = true // a paused reader must wake up and see the end
		p.mu.Unlock()
		p.cond.Broadcast()
	})
}

// readLoop feeds the session until the connection ends.
func (p *pconn) readLoop(pre []byte) {
	if len(pre) > 0 {
		_ = p.sess.Feed(pre)
	}
	buf := make([]byte, portableReadBuffer)
	var err error
	for {
		p.mu.Lock()
		for p.pause && !p.closed {
			p.cond.Wait()
		}
		p.mu.Unlock()
		var n int
		n, err = p.nc.Read(buf)
		if n > 0 {
			_ = p.sess.Feed(buf[:n])
		}
		if err != nil {
			break
		}
	}
	p.CloseTransport()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	p.SetTimer(0)
	p.sess.Closed(err)
}

// newPconn wraps nc for a session made with mk.
func newPconn(nc net.Conn, wdl time.Duration) *pconn {
	p := &pconn{nc: nc, wdl: wdl}
	p.cond.L = &p.mu
	return p
}

// ServeConn serves one connection that has not sent its upgrade request yet
// with the portable driver, on the calling goroutine, until the session ends.
func (s *Server) ServeConn(nc net.Conn) {
	s.conns.Add(1)
	defer s.conns.Add(-1)
	_ = nc.SetReadDeadline(time.Now().Add(s.cfg.handshakeTimeout()))
	var head []byte
	buf := make([]byte, 4096)
	hs := s.hs
	var exts []session.Extension
	if len(s.cfg.Extensions) > 0 {
		hs.Negotiate = func(offers []httphead.Option) ([]httphead.Option, error) {
			acc, e, err := negotiate(s.cfg.Extensions, offers)
			exts = e
			return acc, err
		}
	}
	for {
		n, err := nc.Read(buf)
		head = append(head, buf[:n]...)
		if n > 0 {
			res, out, uerr := handshake.Upgrade(head, &hs, nil)
			if errors.Is(uerr, handshake.ErrIncomplete) {
				if err == nil {
					continue
				}
			} else {
				if len(out) > 0 {
					if _, werr := nc.Write(out); werr != nil && uerr == nil {
						uerr = werr
					}
				}
				if uerr != nil {
					_ = nc.Close()
					return
				}
				_ = nc.SetReadDeadline(time.Time{})
				rt := s.match(res.Request.Path)
				req := &session.Request{
					Path: res.Request.Path, RawQuery: res.Request.RawQuery, Remote: addrPort(nc.RemoteAddr()),
					Header: res.Request.Header, Protocol: res.Protocol, Extensions: exts,
				}
				s.runPortable(nc, rt, session.RoleServer, req, head[res.HeadLen:])
				return
			}
		}
		if err != nil {
			_ = nc.Close()
			return
		}
	}
}

// runPortable runs a session over nc on the calling goroutine.
func (s *Server) runPortable(nc net.Conn, rt *route, role session.Role, req *session.Request, pre []byte) {
	p := newPconn(nc, s.writeTimeout())
	sess := session.New(&rt.cfg, role, p, req)
	p.sess = sess
	s.trackPortable(sess, true)
	defer s.trackPortable(sess, false)
	if rt.fn != nil {
		go sess.Run(rt.fn)
	}
	sess.Start()
	p.readLoop(pre)
}

// writeTimeout bounds a blocked write of the portable driver.
func (s *Server) writeTimeout() time.Duration {
	if s.cfg.Timeout > 0 {
		return s.cfg.Timeout
	}
	return session.DefaultTimeout
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
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closed.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			return err
		}
		if s.closed.Load() {
			_ = nc.Close()
			continue
		}
		go s.ServeConn(nc)
	}
}

var _ io.Writer = (*pconn)(nil)

// addrPort converts a TCP address, IPv4 unmapped, for session.Request.Remote.
func addrPort(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		ap := t.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}
