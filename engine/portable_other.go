//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package engine

import (
	"context"
	"net"

	"github.com/surgews/surge/netpoll"
	"github.com/surgews/surge/session"
)

// On systems without epoll or kqueue every connection runs on the portable
// driver: a goroutine per connection.

func (s *Server) start(network, addr string, ln net.Listener) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return ErrStarted
	}
	if ln == nil {
		if network == "" {
			s.mu.Unlock()
			return netpoll.ErrUnsupported
		}
		var err error
		if ln, err = net.Listen(network, addr); err != nil {
			s.mu.Unlock()
			return err
		}
	}
	s.started = true
	s.addr = ln.Addr()
	s.mu.Unlock()
	go func() { _ = s.servePortable(ln) }()
	return nil
}

func (s *Server) startLoops() error { return nil }

func reactorListener(net.Listener) bool { return false }

func (s *Server) adoptSession(net.Conn, *route, *session.Request, []byte) bool { return false }

// dialReactor dials plain TCP and runs the session on the portable driver.
func dialReactor(ctx context.Context, addr string, opts *DialOptions, req []byte, d *dialing) (*session.Session, error) {
	nd := net.Dialer{}
	if opts.LocalAddr != nil {
		nd.LocalAddr = opts.LocalAddr
	}
	nc, err := nd.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return handshakePortable(ctx, nc, req, d)
}

// Without event loops the server's loop list stays empty; these let the
// shared server code compile.

type loop struct{}

type taskKind uint8

const (
	taskStopAccept taskKind = iota
	taskGoingAway
	taskStop
)

type task struct{ kind taskKind }

func (*loop) post(task) {}
