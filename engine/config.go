package engine

import (
	"runtime"
	"time"

	"github.com/surgews/surge/session"
)

// Defaults used where a Config field is zero.
const (
	// DefaultHandshakeTimeout is how long a new connection may take to send
	// its upgrade request; a slower client is dropped.
	DefaultHandshakeTimeout = 10 * time.Second
	// DefaultMaxHeaderBytes bounds an upgrade request head.
	DefaultMaxHeaderBytes = 8 << 10
	// DefaultReadBufferSize is the size of each event loop's shared read
	// buffer: the most one connection is read per readiness event.
	DefaultReadBufferSize = 64 << 10
	// DefaultTick is the resolution of each loop's timing wheel.
	DefaultTick = 10 * time.Millisecond
)

// Config configures a Server. The first group mirrors Ktor's
// install(WebSockets) { ... }; the rest are engine settings. The zero value
// is a working server with the documented defaults; New copies the Config, so
// changing it afterwards has no effect.
type Config struct {
	// PingInterval is how often sessions ping their peers; 0 disables pings.
	PingInterval time.Duration
	// Timeout is how long a ping waits for its pong; 0 means
	// session.DefaultTimeout.
	Timeout time.Duration
	// CloseTimeout is how long a closing handshake waits for the peer's close
	// frame before the connection is dropped; 0 means Timeout.
	CloseTimeout time.Duration
	// MaxFrameSize bounds a received frame; larger ones close with 1009.
	// 0 means MaxMessageSize.
	MaxFrameSize int64
	// MaxMessageSize bounds a received message; 0 means
	// session.DefaultMaxMessageSize.
	MaxMessageSize int64
	// Masking makes the server mask what it sends (Ktor's masking).
	Masking bool
	// Extensions are the extensions the server negotiates, in preference
	// order (Ktor's extensions { install(...) }).
	Extensions []session.ExtensionFactory

	// Loops is the number of event loops; 0 means GOMAXPROCS.
	Loops int
	// Dispatch is where event-style handlers run: inline on the loop
	// (default) or on a worker pool. Channel-style handlers always run on a
	// goroutine of their own.
	Dispatch session.Dispatch
	// Workers is the size of the worker pool under session.DispatchPool;
	// 0 means GOMAXPROCS.
	Workers int
	// HandshakeTimeout bounds the wait for an upgrade request; 0 means
	// DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration
	// MaxHeaderBytes bounds the upgrade request head; larger requests get
	// 431. 0 means DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// Backlog bounds each session's outgoing bytes; 0 means
	// session.DefaultBacklog.
	Backlog int
	// Backpressure is what Send does when Backlog is exceeded.
	Backpressure session.Backpressure
	// MaxConns bounds open connections (handshaking included); new ones over
	// it are refused with 503. 0 means no limit but the process's.
	MaxConns int
	// CheckOrigin decides whether a request from origin (the Origin header,
	// "" when absent) to host may upgrade; false answers 403. nil accepts
	// all: set it when sessions are authenticated by cookie (RFC 6455 §10.2).
	CheckOrigin func(origin, host string) bool
	// Subprotocols are the subprotocols the server speaks, preferred first.
	Subprotocols []string
	// KeepHeaders names request headers that sessions keep in
	// Request().Header; others are not kept, so they cost nothing.
	KeepHeaders []string
	// ReadBufferSize is each loop's read buffer; 0 means
	// DefaultReadBufferSize.
	ReadBufferSize int
	// BusyPoll keeps a loop that runs out of events polling (yielding to
	// other goroutines between polls) for up to this long after its last
	// event before it parks. 0, the default, parks at once. It spends the
	// loop's idle CPU on wake-up latency and timer precision: a parked Go
	// process sleeps in the runtime's poller, whose timeouts are whole
	// milliseconds, so a timer due in 50 µs may fire a millisecond late,
	// whereas a polling loop lets the scheduler check timers at every
	// yield. Meant for load generators and latency-critical services on
	// dedicated cores; the engine's own timers are unaffected.
	BusyPoll time.Duration
}

func (c *Config) loops() int {
	if c.Loops > 0 {
		return c.Loops
	}
	return runtime.GOMAXPROCS(0)
}

func (c *Config) handshakeTimeout() time.Duration {
	if c.HandshakeTimeout > 0 {
		return c.HandshakeTimeout
	}
	return DefaultHandshakeTimeout
}

func (c *Config) readBufferSize() int {
	if c.ReadBufferSize > 0 {
		return c.ReadBufferSize
	}
	return DefaultReadBufferSize
}

func (c *Config) maxHeaderBytes() int {
	if c.MaxHeaderBytes > 0 {
		return c.MaxHeaderBytes
	}
	return DefaultMaxHeaderBytes
}

// sessionConfig returns the session settings of a route.
func (c *Config) sessionConfig(h session.Handler, pool *session.Pool, srv *Server) session.Config {
	return session.Config{
		PingInterval:   c.PingInterval,
		Timeout:        c.Timeout,
		CloseTimeout:   c.CloseTimeout,
		MaxFrameSize:   c.MaxFrameSize,
		MaxMessageSize: c.MaxMessageSize,
		Masking:        c.Masking,
		Backlog:        c.Backlog,
		Backpressure:   c.Backpressure,
		Handler:        h,
		Dispatch:       c.Dispatch,
		Pool:           pool,
		Server:         srv,
	}
}
