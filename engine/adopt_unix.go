//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package engine

import (
	"net"

	"github.com/surgews/surge/netpoll"
	"github.com/surgews/surge/session"
)

// adoptSession moves a hijacked, already upgraded connection into an event
// loop. It reports false when the connection has no fd the loops can use; the
// caller then serves it with the portable driver.
func (s *Server) adoptSession(nc net.Conn, rt *route, req *session.Request, pre []byte) bool {
	switch nc.(type) {
	case *net.TCPConn, *net.UnixConn:
	default:
		return false
	}
	if err := s.ensureLoops(); err != nil {
		return false
	}
	fd, err := netpoll.DetachFD(nc)
	if err != nil {
		return false
	}
	l := s.loops[s.next.Add(1)%uint32(len(s.loops))]
	c := &conn{fd: fd, loop: l, remote: req.Remote}
	c.sess = session.New(&rt.cfg, session.RoleServer, c, req)
	l.post(task{kind: taskAdoptSession, c: c, pre: pre, fn: rt.fn})
	return true
}

// ensureLoops starts loops without listeners for a server used only through
// ServeHTTP.
func (s *Server) ensureLoops() error {
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if started {
		return nil
	}
	err := s.startLoops()
	if err == ErrStarted {
		return nil
	}
	return err
}

// adoptUpgraded registers a connection whose session is made.
func (l *loop) adoptUpgraded(c *conn, pre []byte, fn func(*session.Session)) {
	if err := l.poll.Add(c.fd, netpoll.EventRead); err != nil {
		_ = netpoll.Close(c.fd)
		c.flags.Or(flagClosed)
		c.sess.Closed(err)
		return
	}
	c.interest = netpoll.EventRead
	l.register(c)
	if fn != nil {
		go c.sess.Run(fn)
	}
	c.sess.Start()
	if len(pre) > 0 && c.open() {
		_ = c.sess.Feed(pre)
	}
}
