package engine

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/httphead"
	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/internal/counters"
	"github.com/surgews/surge/internal/handshake"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
	"github.com/surgews/surge/stats"
)

// Server serves WebSocket sessions on event loops. Routes may be added at any
// time, before or while it serves; every method is safe for concurrent use.
type Server struct {
	cfg     Config
	routes  atomic.Pointer[map[string]routeEntry] // replaced whole, never changed
	rmu     sync.Mutex                            // serializes route changes
	upgrade handshake.Config                      // the opening handshake's policy
	pool    seam.Pool                             // runs event handlers under DispatchPool; guarded by rmu

	mu      sync.Mutex
	reactor *reactor // the event loops, once started
	started bool
	addr    net.Addr
	closed  atomic.Bool
	done    chan struct{}

	pmu           sync.Mutex
	portable      map[*session.Session]struct{} // sessions of the portable driver
	portableConns atomic.Int64                  // connections of the portable driver
	portableCtr   counters.Set                  // what the portable driver's sessions do
}

// New returns a server with cfg; zero fields take the documented defaults.
func New(cfg Config) *Server {
	s := &Server{cfg: cfg, done: make(chan struct{})}
	s.routes.Store(&map[string]routeEntry{})
	s.upgrade = handshake.Config{
		MaxHeaderBytes: cfg.maxHeaderBytes(),
		Protocols:      cfg.Subprotocols,
		KeepHeaders:    cfg.KeepHeaders,
		Route:          func(path string) bool { return s.match(path) != nil },
		RouteProtocols: func(path string) []string { return s.lookup(path).protocols },
	}
	if cfg.CheckOrigin != nil {
		check := cfg.CheckOrigin
		s.upgrade.CheckOrigin = func(r handshake.Request) bool { return check(r.Origin, r.Host) }
	}
	return s
}

// HandleEvents serves event-style sessions at path with h (Ktor's
// webSocket(path), as events): h's methods run on the event loop that reads
// the connection, or on the worker pool under session.DispatchPool, never on
// a goroutine per session, so they must not block on the loop. The path "/"
// also matches every path no other route matches. A later call for the same
// path replaces the route for new sessions.
func (s *Server) HandleEvents(path string, h session.Handler) {
	s.Handle(path, Route{Events: h})
}

// HandleSession serves channel-style sessions at path: fn runs on a goroutine
// of its own for each session, reading Incoming and sending; when it returns,
// the session is closed normally (Ktor's webSocket(path) { ... } block). The
// path "/" also matches every path no other route matches.
func (s *Server) HandleSession(path string, fn func(*session.Session)) {
	s.Handle(path, Route{Run: fn})
}

// Route is one WebSocket endpoint: its handler, in one of the two styles, and
// what it does differently from the rest of the server. The zero fields mean
// the server's settings.
type Route struct {
	// Events is an event-style handler, as HandleEvents takes.
	Events session.Handler
	// Run is a channel-style session function, as HandleSession takes.
	Run func(*session.Session)
	// Protocols are the route's subprotocols, preferred first (Ktor's
	// webSocket(path, protocol)). When set, they replace Config.Subprotocols
	// for this path and one of them is required: a client that offers none
	// is answered 400 Bad Request and not upgraded (RFC 6455 §4.2.2 lets the
	// server refuse; an upgrade without the subprotocol would leave the two
	// ends speaking different languages).
	Protocols []string
	// Session, when set, replaces Config.Session for this route's sessions:
	// a Codec, limits, a dispatch mode of its own. Handle copies it.
	Session *session.Config
}

// Handle serves r at path. Exactly one of r.Events and r.Run must be set;
// Handle panics otherwise, as http.ServeMux does for a nil handler, since it
// is a programming error found at start-up. Routes may be added or replaced at
// any time, also while the server runs; a replaced route keeps serving the
// sessions it already has. The path "/" also matches every path no other
// route matches.
func (s *Server) Handle(path string, r Route) {
	if (r.Events == nil) == (r.Run == nil) {
		panic("engine: Handle(" + path + "): set exactly one of Route.Events and Route.Run")
	}
	cfg := &s.cfg.Session
	if r.Session != nil {
		cfg = r.Session // newRoute copies it
	}
	var pool seam.Pool
	if r.Events != nil && cfg.Dispatch == session.DispatchPool {
		pool = s.workerPool()
	}
	var protocols []string
	if len(r.Protocols) > 0 {
		protocols = append([]string(nil), r.Protocols...)
	}
	s.addRoute(path, routeEntry{mk: newRoute(cfg, r.Events, r.Run, s, pool), protocols: protocols})
}

// workerPool returns the server's worker pool, made by the first route that
// needs one (the server's own sessions may run inline).
func (s *Server) workerPool() seam.Pool {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if s.pool == nil {
		s.pool = seam.NewPool(s.cfg.Reactor.Workers)
	}
	return s.pool
}

// routeEntry is one path of the route table.
type routeEntry struct {
	mk        newSessionFunc
	protocols []string // the route's own subprotocols, required; nil if none
}

// upgradePolicy returns the server's handshake policy for one upgrade path
// (an event loop, a ServeConn, a ServeHTTP call), its extension negotiation
// storing the accepted extensions of each upgrade in *exts.
func (s *Server) upgradePolicy(exts *[]extension.Extension) handshake.Config {
	upgrade := s.upgrade
	if factories := s.cfg.Extensions; len(factories) > 0 {
		upgrade.Negotiate = func(offers []httphead.Option) ([]httphead.Option, error) {
			acc, accepted, err := handshake.NegotiateExtensions(factories, offers)
			*exts = accepted
			return acc, err
		}
	}
	return upgrade
}

// canStartLocked reports why the server cannot start serving, if it cannot.
func (s *Server) canStartLocked() error {
	switch {
	case s.started:
		return errStarted
	case s.closed.Load():
		return ErrServerClosed
	}
	return nil
}

// addRoute publishes a copy of the route table with path set, so that
// lookups never take a lock.
func (s *Server) addRoute(path string, e routeEntry) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	old := *s.routes.Load()
	routes := make(map[string]routeEntry, len(old)+1)
	for p, r := range old {
		routes[p] = r
	}
	routes[path] = e
	s.routes.Store(&routes)
}

// match finds the route for path: exact, else the "/" catch-all; nil if none.
func (s *Server) match(path string) newSessionFunc { return s.lookup(path).mk }

// lookup finds the route entry for path, as match does; the zero entry if
// none.
func (s *Server) lookup(path string) routeEntry {
	routes := *s.routes.Load()
	if r, ok := routes[path]; ok {
		return r
	}
	return routes["/"]
}

// Addr returns the address the server listens on, once started.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Stats returns what the server has done so far and its open connections
// (handshaking ones included): handshakes, messages, bytes, frames, close
// codes, why sessions ended, and the time of each event loop. Counting is
// always on and costs a few nanoseconds per message; Stats itself allocates,
// so call it for monitoring, not per message. Package metrics exposes it
// to Prometheus.
func (s *Server) Stats() stats.Snapshot {
	n := s.portableConns.Load()
	s.mu.Lock()
	rc := s.reactor
	s.mu.Unlock()
	var sets []*counters.Set
	if rc != nil {
		n += rc.conns.Load()
		sets = rc.counterSets()
	}
	loops := len(sets)
	return snapshot(int(n), append(sets, &s.portableCtr), loops)
}

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

// Start is ListenAndServe without the wait: it returns once the server
// listens (see Addr for the bound address, useful with port 0).
func (s *Server) Start(addr string) error {
	network := "tcp"
	if strings.HasPrefix(addr, "[") || strings.Count(addr, ":") > 1 {
		network = "tcp6"
	}
	return s.listen(network, addr)
}

// Serve accepts connections from ln and serves them until Shutdown or Close,
// then returns ErrServerClosed. A TCP or unix listener is moved into the event
// loops (one loop accepts and hands connections out); any other listener, such
// as a TLS one, is served by the portable driver, a goroutine per connection.
// ln stays the caller's to close.
func (s *Server) Serve(ln net.Listener) error {
	if !reactorListener(ln) {
		return s.servePortable(ln)
	}
	if err := s.serveReactor(ln); err != nil {
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
	if rc := s.runningReactor(); rc != nil {
		rc.goingAway()
	}
	s.eachPortable(func(ps *session.Session) {
		_ = ps.Close(closeGoingAway)
	})
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for s.Stats().Conns > 0 {
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

// reactor returns the server's event loops, or nil before they start.
func (s *Server) runningReactor() *reactor {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reactor
}

// beginClose marks the server closed and stops accepting; it reports whether
// this call did it.
func (s *Server) beginClose() bool {
	if s.closed.Swap(true) {
		return false
	}
	if rc := s.runningReactor(); rc != nil {
		rc.stopAccept()
	}
	return true
}

// stop ends the loops and the portable sessions and waits for them.
func (s *Server) stop() {
	if rc := s.runningReactor(); rc != nil {
		rc.stop()
	}
	s.eachPortable((*session.Session).Terminate)
	s.rmu.Lock()
	if s.pool != nil {
		s.pool.Close()
	}
	s.rmu.Unlock()
	s.mu.Lock()
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.mu.Unlock()
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
