package engine

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/httphead"
	"github.com/surgews/surge/internal/handshake"
	"github.com/surgews/surge/session"
)

// Server serves WebSocket sessions on event loops. Routes are added with
// Handle (event style) and HandleFunc (channel style) before serving; the
// server is then safe for concurrent use.
type Server struct {
	cfg    Config
	pool   *session.Pool
	routes map[string]*route
	hs     handshake.Config

	mu      sync.Mutex
	loops   []*loop
	started bool
	closed  atomic.Bool
	done    chan struct{}
	conns   atomic.Int64
	next    atomic.Uint32 // round robin over loops for adopted fds
	addr    net.Addr
	wg      sync.WaitGroup

	sharedListener bool // one listener fd for all loops (Serve)

	pmu      sync.Mutex
	portable map[*session.Session]struct{} // sessions of the portable driver
}

// route is one endpoint: its session settings and, for the channel style, the
// function run on the session's own goroutine.
type route struct {
	cfg session.Config
	fn  func(*session.Session)
}

// New returns a server with cfg; zero fields take the documented defaults.
func New(cfg Config) *Server {
	s := &Server{cfg: cfg, routes: map[string]*route{}, done: make(chan struct{})}
	if cfg.Dispatch == session.DispatchPool {
		s.pool = session.NewPool(cfg.Workers)
	}
	s.hs = handshake.Config{
		MaxHeaderBytes: cfg.maxHeaderBytes(),
		Protocols:      cfg.Subprotocols,
		KeepHeaders:    cfg.KeepHeaders,
		Route:          func(path string) bool { return s.match(path) != nil },
	}
	if cfg.CheckOrigin != nil {
		check := cfg.CheckOrigin
		s.hs.CheckOrigin = func(r handshake.Request) bool { return check(r.Origin, r.Host) }
	}
	return s
}

// Handle serves event-style sessions at path with h (Ktor's webSocket(path)).
// The path "/" also matches every path no other route matches.
func (s *Server) Handle(path string, h session.Handler) {
	s.routes[path] = &route{cfg: s.cfg.sessionConfig(h, s.pool, s)}
}

// HandleFunc serves channel-style sessions at path: fn runs on a goroutine
// of its own per session and reads Incoming; when it returns, the session is
// closed normally (Ktor's webSocket(path) { ... } block).
func (s *Server) HandleFunc(path string, fn func(*session.Session)) {
	s.routes[path] = &route{cfg: s.cfg.sessionConfig(nil, nil, s), fn: fn}
}

// match finds the route for path: exact, else the "/" catch-all.
func (s *Server) match(path string) *route {
	if r := s.routes[path]; r != nil {
		return r
	}
	return s.routes["/"]
}

// Config returns a copy of the server's configuration.
func (s *Server) Config() Config { return s.cfg }

// Addr returns the address the server listens on, once started.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Conns returns the number of open connections, handshaking ones included.
func (s *Server) Conns() int { return int(s.conns.Load()) }

// ListenAndServe listens on the TCP address addr with one SO_REUSEPORT
// listener per event loop and serves until Shutdown or Close, then returns
// ErrServerClosed.
func (s *Server) ListenAndServe(addr string) error {
	if err := s.Start(addr); err != nil {
		return err
	}
	<-s.done
	return ErrServerClosed
}

// ListenAndServeTLS listens on the TCP address addr with TLS (certFile and
// keyFile as for crypto/tls.LoadX509KeyPair) and serves until Shutdown or
// Close. TLS connections run on the portable driver, a goroutine each.
func (s *Server) ListenAndServeTLS(addr, certFile, keyFile string) error {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return err
	}
	ln, err := tls.Listen("tcp", addr, &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Start is ListenAndServe without the wait: it returns once the server
// listens (see Addr for the bound address, useful with port 0).
func (s *Server) Start(addr string) error {
	network := "tcp"
	if strings.HasPrefix(addr, "[") || strings.Count(addr, ":") > 1 {
		network = "tcp6"
	}
	return s.start(network, addr, nil)
}

// Serve accepts connections from ln and serves them until Shutdown or Close,
// then returns ErrServerClosed. A TCP or unix listener is moved into the event
// loops (one loop accepts and hands connections out); any other listener, such
// as a TLS one, is served by the portable driver, a goroutine per connection.
func (s *Server) Serve(ln net.Listener) error {
	if !reactorListener(ln) {
		return s.servePortable(ln)
	}
	if err := s.start("", "", ln); err != nil {
		return err
	}
	<-s.done
	return ErrServerClosed
}

// Shutdown stops accepting, sends every session a close frame with 1001
// (going away) after what it has queued, and waits for the closing handshakes
// until ctx ends; then it drops what is left, like Close.
func (s *Server) Shutdown(ctx context.Context) error {
	if !s.beginClose() {
		return nil
	}
	for _, l := range s.loops {
		l.post(task{kind: taskGoingAway})
	}
	s.eachPortable(func(ps *session.Session) {
		_ = ps.Close(session.CloseReason{Code: 1001, Message: "server shutting down"})
	})
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for s.conns.Load() > 0 {
		select {
		case <-ctx.Done():
			s.stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	s.stop()
	return nil
}

// Close closes the listeners and every connection at once; sessions end with
// 1006 and ErrServerClosed.
func (s *Server) Close() error {
	s.beginClose()
	s.stop()
	return nil
}

// beginClose marks the server closed and closes the listeners; it reports
// whether this call did it.
func (s *Server) beginClose() bool {
	if s.closed.Swap(true) {
		return false
	}
	s.mu.Lock()
	loops := s.loops
	s.mu.Unlock()
	for _, l := range loops {
		l.post(task{kind: taskStopAccept})
	}
	return true
}

// stop ends the loops and waits for them.
func (s *Server) stop() {
	s.mu.Lock()
	loops := s.loops
	s.mu.Unlock()
	for _, l := range loops {
		l.post(task{kind: taskStop})
	}
	s.eachPortable((*session.Session).Terminate)
	s.wg.Wait()
	if s.pool != nil {
		s.pool.Close()
	}
	s.mu.Lock()
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.mu.Unlock()
}

// negotiate answers extension offers with the configured factories, in the
// server's preference order, and returns the accepted options and the
// sessions' extensions.
func negotiate(factories []session.ExtensionFactory, offers []httphead.Option) ([]httphead.Option, []session.Extension, error) {
	var accepted []httphead.Option
	var exts []session.Extension
	for _, f := range factories {
		name := f.Name()
		for _, o := range offers {
			if string(o.Name) != name {
				continue
			}
			var params []session.Param
			o.Parameters.ForEach(func(k, v []byte) bool {
				params = append(params, session.Param{Name: string(k), Value: string(v)})
				return true
			})
			resp, ext, ok, err := f.Accept(params)
			if err != nil {
				return nil, nil, err
			}
			if !ok {
				continue
			}
			opt := httphead.Option{Name: []byte(name)}
			for _, p := range resp {
				opt.Parameters.Set([]byte(p.Name), []byte(p.Value))
			}
			accepted = append(accepted, opt)
			exts = append(exts, ext)
			break
		}
	}
	return accepted, exts, nil
}

// eachPortable calls fn for every session of the portable driver.
func (s *Server) eachPortable(fn func(*session.Session)) {
	s.pmu.Lock()
	list := make([]*session.Session, 0, len(s.portable))
	for ps := range s.portable {
		list = append(list, ps)
	}
	s.pmu.Unlock()
	for _, ps := range list {
		fn(ps)
	}
}

func (s *Server) trackPortable(ps *session.Session, on bool) {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	if !on {
		delete(s.portable, ps)
		return
	}
	if s.portable == nil {
		s.portable = map[*session.Session]struct{}{}
	}
	s.portable[ps] = struct{}{}
}
