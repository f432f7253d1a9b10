// Package seam is the contract between a WebSocket session (package session)
// and the driver that moves its bytes: the engine's event-loop connection,
// its portable net.Conn driver, and the session tests' in-memory driver.
//
// Applications see *session.Session, whose methods are theirs alone. A
// driver sees the other side of the same session: it makes sessions with the
// constructor package session registers here, then feeds them received bytes
// and reports writability, timer expiry and the end of the transport through
// an [Endpoint]; the session asks the driver to write, to pause reading, to
// arm its one timer and to close through the [Driver] it was given. The
// package lives under internal/ because every driver is in this module.
//
// Package session cannot export its constructor without showing it to
// applications, and this package cannot import session (session imports
// it), so session registers its constructors in [NewRoute] and [NewPool]
// when it is initialised, as grpc's internal package does. NewRoute is an
// any because its signature names session's types; drivers assert it once,
// to the type its comment gives.
package seam

import (
	"net/netip"
	"time"

	"github.com/surgews/surge/internal/counters"
)

// Driver moves bytes for one session. The session never blocks on a driver
// and holds its own lock while calling Write, WantWrite, PauseRead and
// SetTimer, so a driver must not call back into the session from inside a
// Driver method; it reports back later through the session's [Endpoint].
type Driver interface {
	// Write hands b to the transport without blocking: it takes what it
	// can now (possibly nothing) and returns that count with a nil error;
	// the session queues the rest and calls WantWrite. It must not keep b.
	Write(b []byte) (int, error)
	// WantWrite asks the driver to call Endpoint.Writable once the
	// transport can take more bytes.
	WantWrite()
	// PauseRead stops (true) or resumes (false) feeding the session, for
	// backpressure: surge stops reading from a peer whose messages wait for
	// a busy handler, or who does not read what it is sent.
	PauseRead(paused bool)
	// SetTimer arms the session's one timer to call Endpoint.Timer after d,
	// replacing any earlier setting; d <= 0 disarms it.
	SetTimer(d time.Duration)
	// CloseTransport closes the connection. With flush, what Write took
	// is written first (the close frame of a closing handshake, typically);
	// without, the connection is dropped at once (Terminate, a timeout, a
	// failed write), since waiting could mean waiting for a peer that
	// does not read. The driver then calls Endpoint.Closed exactly once (it
	// may already have, if the peer went first). It may be called more
	// than once.
	CloseTransport(flush bool)
	// Counters returns the counters the session adds its messages, frames
	// and end to (its event loop's), or nil for none.
	Counters() *counters.Set
	// Remote returns the peer's address, the zero AddrPort if unknown. The
	// session asks its driver rather than keep a copy: an idle session
	// then holds one address, not two.
	Remote() netip.AddrPort
}

// Endpoint is the driver's side of one session. Start, Feed and Closed are
// called from one goroutine at a time (the one that reads); Writable, Timer
// and GoingAway may come from any goroutine.
type Endpoint interface {
	// Start opens the session: it delivers the open event, starts a
	// channel-style route's function and arms the ping timer. It comes
	// before the first Feed. head is the upgrade request's head (request
	// line and header fields), which the session may read during the call
	// and copies if it needs it later; nil for a client.
	Start(head []byte)
	// Progress returns the bytes the session has handed to Driver.Write
	// (and Writev) so far, and its Timeout: what a driver needs to drop a
	// peer whose writes make no progress (RFC 6455 §10.4). Any goroutine.
	Progress() (written uint64, timeout time.Duration)
	// Feed processes bytes received from the peer, in order. p may be the
	// driver's shared read buffer: the session keeps none of it after Feed
	// returns. A non-nil error means the session failed the connection (a
	// *frame.CloseReason for a protocol violation); its close frame is
	// queued and the transport will be closed, and bytes fed after it are
	// skipped until the peer's close arrives.
	Feed(p []byte) error
	// Writable reports that the transport can take more bytes after
	// WantWrite.
	Writable()
	// Timer reports that the timer armed with SetTimer has fired.
	Timer()
	// Closed reports, exactly once, that the transport is gone, with the
	// read or write error that ended it (nil or io.EOF for an orderly end).
	// It ends the session.
	Closed(err error)
	// GoingAway closes the session with 1001 (going away), after what it
	// has queued, because its server shuts down.
	GoingAway()
}

// Role says which end of a connection a session is (RFC 6455 §5.1: a client
// masks what it sends, a server does not).
type Role uint8

const (
	// Server expects masked frames and sends unmasked ones (unless its
	// configuration asks for masking).
	Server Role = iota
	// Client masks every frame it sends.
	Client
)

// Pool runs event handlers of sessions whose configuration asks for
// session.DispatchPool, on a fixed number of goroutines.
type Pool interface {
	// Close stops the workers once the sessions queued are run.
	Close()
}

// The constructors of package session, set when it is initialised.
var (
	// NewRoute binds the sessions of one route (a server's path, or one
	// dial) to their configuration and handler, and returns the function
	// that makes each session of the route with its driver:
	//
	//	func(cfg *session.Config, h session.Handler, run func(*session.Session), server any, pool Pool) NewSession
	//	type NewSession = func(role Role, d Driver, req session.Request) (*session.Session, Endpoint)
	//
	// cfg is copied. A nil h makes channel-style sessions, and run, when
	// set, is started on a goroutine of its own by Endpoint.Start (Ktor's
	// webSocket { } block); server is what Session.Server returns; a nil
	// pool means a process-wide one with GOMAXPROCS workers. The request
	// travels by value: through a function value a pointer would move it to
	// the heap, an allocation per connection.
	NewRoute any

	// NewPool starts a Pool of workers goroutines; workers <= 0 means
	// GOMAXPROCS.
	NewPool func(workers int) Pool
)
