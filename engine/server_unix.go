//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package engine

import (
	"net"

	"github.com/surgews/surge/internal/netpoll"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

// listen binds one SO_REUSEPORT listener per loop and starts the loops.
func (s *Server) listen(network, addr string) error {
	return s.startLoops(func(n int) ([]int, net.Addr, error) {
		var fds []int
		var bound net.Addr
		for i := 0; i < n; i++ {
			fd, a, err := netpoll.Listen(network, addr, true, 0)
			if err != nil {
				for _, fd := range fds {
					_ = netpoll.Close(fd)
				}
				return nil, nil, err
			}
			if i == 0 {
				// Port 0 picks a port once; the other loops join it.
				bound, addr = a, a.String()
			}
			fds = append(fds, fd)
		}
		return fds, bound, nil
	})
}

// serveReactor moves ln's fd into the loops: one loop accepts, all serve.
func (s *Server) serveReactor(ln net.Listener) error {
	return s.startLoops(func(int) ([]int, net.Addr, error) {
		fd, err := listenerFD(ln)
		if err != nil {
			return nil, nil, err
		}
		return []int{fd}, ln.Addr(), nil
	})
}

// startLoops starts the server's reactor on the listener fds that listeners
// makes for n loops, once.
func (s *Server) startLoops(listeners func(n int) ([]int, net.Addr, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.canStartLocked(); err != nil {
		return err
	}
	fds, addr, err := listeners(s.cfg.Reactor.loops())
	if err != nil {
		return err
	}
	rc, err := startReactor(s.cfg.Reactor, s, fds)
	if err != nil {
		return err
	}
	s.reactor, s.addr, s.started = rc, addr, true
	return nil
}

// ensureReactor starts loops without listeners for a server used only
// through ServeHTTP, and returns them.
func (s *Server) ensureReactor() (*reactor, error) {
	err := s.startLoops(func(int) ([]int, net.Addr, error) { return nil, nil, nil })
	if err != nil && err != errStarted {
		return nil, err
	}
	if rc := s.runningReactor(); rc != nil {
		return rc, nil
	}
	return nil, ErrServerClosed
}

// adopt moves a hijacked, already upgraded connection into an event loop. It
// reports false when the connection has no fd the loops can use; the caller
// then serves it with the portable driver.
func (s *Server) adopt(nc net.Conn, mk newSessionFunc, req session.Request, head, pre []byte) bool {
	switch nc.(type) {
	case *net.TCPConn, *net.UnixConn:
	default:
		return false
	}
	rc, err := s.ensureReactor()
	if err != nil {
		return false
	}
	fd, err := netpoll.DetachFD(nc)
	if err != nil {
		return false
	}
	l := rc.pick()
	c := &conn{fdNum: int32(fd), loop: l, peer: l.reactor.zones.pack(req.Remote)}
	_, c.ep = mk(seam.Server, c, req)
	l.post(task{kind: taskAdoptSession, c: c, fd: len(head), pre: append(head, pre...)})
	return true
}

// adoptUpgraded registers a connection whose session is made.
func (l *loop) adoptUpgraded(c *conn, head, pre []byte) {
	if err := l.poll.Add(c.fd(), netpoll.EventRead|connEdge); err != nil {
		_ = netpoll.Close(c.fd())
		c.flags.Or(flagClosed)
		c.ep.Closed(err)
		return
	}
	c.setInterest(netpoll.EventRead)
	l.register(c)
	c.ep.Start(head)
	if len(pre) > 0 && c.open() {
		_ = c.ep.Feed(pre)
	}
}
