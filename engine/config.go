package engine

import (
	"runtime"
	"time"

	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/session"
)

// Defaults used where a field is zero; the field docs give them.
const (
	defaultHandshakeTimeout = 10 * time.Second
	// 8 KiB matches the common proxy default (nginx
	// large_client_header_buffers), so a browser request with cookies fits.
	defaultMaxHeaderBytes = 8 << 10
	defaultReadBufferSize = 64 << 10
	defaultDialTimeout    = 30 * time.Second
	defaultKeepAlive      = 15 * time.Second
	// tick is the resolution of each loop's timing wheel.
	tick = 10 * time.Millisecond
)

// Config configures a Server. Session holds the settings of its sessions
// (Ktor's install(WebSockets) { ... }), Reactor its event loops, and the rest
// its opening handshakes. The zero value is a working server; zero fields
// mean the default each field documents. New copies the Config, so changing
// it afterwards has no effect.
type Config struct {
	// Session holds the settings every session of the server starts with:
	// ping interval, timeouts, size limits, masking, backlog and
	// backpressure, dispatch of event handlers, Incoming buffer.
	Session session.Config
	// Reactor configures the event loops and the handler worker pool.
	Reactor ReactorConfig
	// Extensions are the extensions the server negotiates, in preference
	// order (Ktor's extensions { install(...) }), such as deflate.New(...).
	Extensions []extension.Factory
	// Subprotocols are the subprotocols the server speaks, preferred first;
	// the first one the client offers is selected, and a client that offers
	// none is upgraded without one (RFC 6455 §4.2.2 leaves it to the client
	// to go on). A Route's own Protocols replace them and are required.
	Subprotocols []string
	// CheckOrigin decides whether a request from origin (the Origin header,
	// "" when absent) to host may upgrade; false answers 403. nil accepts
	// all: set it when sessions are authenticated by cookie (RFC 6455 §10.2).
	CheckOrigin func(origin, host string) bool
	// KeepHeaders names request headers that sessions keep in
	// Request().Header for their whole life. Every header is there anyway
	// while the handler opens the session (in OnOpen, or in a channel-style
	// function before it asks for Incoming); only those named here stay
	// after it, each costing its session memory.
	KeepHeaders []string
	// HandshakeTimeout bounds the wait for an upgrade request; a slower
	// client is dropped. 0 means 10 seconds.
	HandshakeTimeout time.Duration
	// MaxHeaderBytes bounds the upgrade request head; larger requests get
	// 431. 0 means 8 KiB.
	MaxHeaderBytes int
	// MaxConns bounds open connections (handshaking included); new ones over
	// it are refused with 503. 0 derives it from the open-files limit
	// (RLIMIT_NOFILE) less an eighth of it, at least 32 and at most 512
	// descriptors (19,488 for a limit of 20,000), so that a flood meets
	// the 503 rather than EMFILE; negative means no limit. Should accept
	// fail for want of descriptors anyway, the server stops accepting for
	// 5 ms, doubling up to 1 s, and logs each pause.
	MaxConns int
}

// ReactorConfig configures the event loops of a Server or a Dialer: the
// goroutines that read sockets, parse frames and run inline handlers, and the
// pool that runs event handlers under session.DispatchPool. The zero value
// is one loop and one worker per GOMAXPROCS.
type ReactorConfig struct {
	// Loops is the number of event loops; 0 means GOMAXPROCS.
	Loops int
	// Workers is the size of the worker pool that runs event handlers under
	// session.DispatchPool; 0 means GOMAXPROCS.
	Workers int
	// ReadBufferSize is each loop's read buffer, the most one connection is
	// read per readiness event; 0 means 64 KiB. An idle connection holds no
	// read buffer.
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
	// KeepAlive is the TCP keep-alive period of the loops' connections,
	// accepted and dialled: the idle time before the first probe and the
	// time between probes, so that the kernel reports a peer that vanished
	// without a FIN (powered off, unplugged, behind a NAT that forgot it)
	// after about ten periods and its session ends. 0 means 15 seconds (as
	// package net's default), so a dead peer is dropped within about 2.5
	// minutes; negative turns keep-alive off. Sessions have no ping by
	// default (session.Config.PingInterval), so keep-alive is what reaps
	// silent dead peers; a ping interval also catches live peers that stop
	// answering.
	KeepAlive time.Duration
}

func (c *ReactorConfig) loops() int {
	if c.Loops > 0 {
		return c.Loops
	}
	return runtime.GOMAXPROCS(0)
}

// keepAlive is the keep-alive period for netpoll.SetKeepAlive.
func (c *ReactorConfig) keepAlive() time.Duration {
	if c.KeepAlive == 0 {
		return defaultKeepAlive
	}
	return c.KeepAlive
}

func (c *ReactorConfig) readBufferSize() int {
	if c.ReadBufferSize > 0 {
		return c.ReadBufferSize
	}
	return defaultReadBufferSize
}

func (c *Config) handshakeTimeout() time.Duration {
	if c.HandshakeTimeout > 0 {
		return c.HandshakeTimeout
	}
	return defaultHandshakeTimeout
}

func (c *Config) maxHeaderBytes() int {
	if c.MaxHeaderBytes > 0 {
		return c.MaxHeaderBytes
	}
	return defaultMaxHeaderBytes
}
