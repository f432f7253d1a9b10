//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package engine

import (
	"context"
	"errors"
	"net"
	"sync/atomic"

	"github.com/surgews/surge/internal/counters"
	"github.com/surgews/surge/session"
)

// On systems without epoll or kqueue every connection runs on the portable
// driver, a goroutine per connection, and there is no reactor: a Server's
// and a Dialer's reactor stay nil, so these methods never run.
type reactor struct{ conns atomic.Int64 }

// counterSets returns nothing: there are no loops.
func (*reactor) counterSets() []*counters.Set { return nil }

func (*reactor) stopAccept() {}
func (*reactor) goingAway()  {}
func (*reactor) stop()       {}

// listen serves addr with the portable driver.
func (s *Server) listen(network, addr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.canStartLocked(); err != nil {
		return err
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		return err
	}
	s.started, s.addr = true, ln.Addr()
	go func() { _ = s.servePortable(ln) }()
	return nil
}

// errNoLoops is what the reactor paths return here; nothing takes them.
var errNoLoops = errors.New("engine: no event loops on this system")

func (s *Server) serveReactor(net.Listener) error { return errNoLoops }

func reactorListener(net.Listener) bool { return false }

func (s *Server) adopt(net.Conn, newSessionFunc, session.Request, []byte, []byte) bool { return false }

func startDialerReactor(ReactorConfig) (*reactor, error) { return nil, nil }

func dialReactor(context.Context, *reactor, string, *DialOptions, []byte, *dialing) (*session.Session, error) {
	return nil, errNoLoops
}
