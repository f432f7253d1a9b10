package session

import (
	"time"
)

// Defaults used where a Config field is zero.
const (
	// DefaultTimeout is how long a ping waits for its pong and a close for the
	// peer's close (Ktor's default timeout of 15 seconds).
	DefaultTimeout = 15 * time.Second
	// DefaultMaxMessageSize bounds a received message, joined fragments
	// included; larger messages close the session with 1009.
	DefaultMaxMessageSize = 32 << 20
	// DefaultBacklog bounds the outgoing bytes waiting for the kernel.
	DefaultBacklog = 4 << 20
	// DefaultIncomingBuffer is the capacity of the Incoming channel. Each
	// slot costs an idle channel-style session a Frame (48 bytes); 8 keeps
	// it under 4 KiB with its goroutine, and messages beyond the buffer wait
	// in the session's queue (QueueLimit), so nothing is lost.
	DefaultIncomingBuffer = 8
	// DefaultQueueLimit is how many received messages may wait for a busy
	// handler before surge stops reading from that peer.
	DefaultQueueLimit = 64
)

// Backpressure says what Send does when the outgoing backlog is over its limit.
type Backpressure uint8

const (
	// BackpressureWait makes Send wait until the backlog drains, its context
	// ends, or the session closes (Ktor's SUSPEND). A session whose handler
	// runs inline on an event loop never waits, whoever sends to it: an event
	// loop that waited could be the one that drains the backlog (a broadcast
	// from another session's inline handler, for instance). Its frame is
	// queued past the limit, surge stops reading from the peer until the
	// backlog drains, and a peer that lets the backlog reach twice the limit
	// is dropped with 1008.
	BackpressureWait Backpressure = iota
	// BackpressureClose closes the session with 1008 (policy violation).
	BackpressureClose
	// BackpressureDrop drops the frame and returns ErrBacklogFull.
	BackpressureDrop
)

// Dispatch says where event-style handlers run.
type Dispatch uint8

const (
	// DispatchInline runs handlers on the goroutine that feeds the session (the
	// event loop): fastest, and a received payload needs no copy, but a handler
	// must not block.
	DispatchInline Dispatch = iota
	// DispatchPool runs handlers on a bounded worker pool, each session's events
	// in order.
	DispatchPool
)

// Config holds the settings shared by the sessions of one server or route, in
// the spirit of Ktor's install(WebSockets) { ... }. The zero value is usable;
// zero fields mean the documented default. A Config must not be changed once a
// session uses it; per-session changes go through the Session setters.
type Config struct {
	// PingInterval is how often a ping is sent; 0 disables pings (Ktor's
	// default).
	PingInterval time.Duration
	// Timeout is how long a ping waits for a pong, and a close for the
	// peer's close, before the connection is dropped. 0 means DefaultTimeout.
	Timeout time.Duration
	// CloseTimeout is how long a closing handshake waits for the peer's
	// close frame; 0 means Timeout.
	CloseTimeout time.Duration
	// MaxFrameSize bounds one received frame's payload; a larger frame closes
	// the session with 1009. 0 means MaxMessageSize.
	MaxFrameSize int64
	// MaxMessageSize bounds a received message after joining fragments and
	// decoding extensions. 0 means DefaultMaxMessageSize.
	MaxMessageSize int64
	// Masking makes a server mask the frames it sends, like Ktor's masking
	// option; a client always masks (RFC 6455 §5.3). A client session accepts
	// masked frames from a server only when Masking is set.
	Masking bool
	// Backlog bounds the outgoing bytes waiting to be written. 0 means
	// DefaultBacklog.
	Backlog int
	// Backpressure is what Send does when Backlog is exceeded.
	Backpressure Backpressure
	// Handler receives events for event-style sessions; nil for channel-style
	// sessions, which read Incoming.
	Handler Handler
	// Dispatch says where Handler runs.
	Dispatch Dispatch
	// Pool runs handlers under DispatchPool; nil means a process-wide pool
	// with GOMAXPROCS workers.
	Pool *Pool
	// IncomingBuffer is the capacity of the Incoming channel. 0 means
	// DefaultIncomingBuffer.
	IncomingBuffer int
	// QueueLimit is how many received messages may wait for a busy handler
	// before surge stops reading from the peer. 0 means DefaultQueueLimit.
	QueueLimit int
	// Server is returned by Session.Server, so handlers can reach the server
	// (Ktor's application).
	Server any
}

// orDefault returns v when it is set (positive), else d: the rule of every
// zero-means-default field.
func orDefault[T int | int64 | time.Duration](v, d T) T {
	if v > 0 {
		return v
	}
	return d
}

func (c *Config) timeout() time.Duration      { return orDefault(c.Timeout, DefaultTimeout) }
func (c *Config) closeTimeout() time.Duration { return orDefault(c.CloseTimeout, c.timeout()) }
func (c *Config) maxMessage() int64           { return orDefault(c.MaxMessageSize, DefaultMaxMessageSize) }
func (c *Config) maxFrame() int64             { return orDefault(c.MaxFrameSize, c.maxMessage()) }
func (c *Config) backlog() int                { return orDefault(c.Backlog, DefaultBacklog) }
func (c *Config) incomingBuffer() int         { return orDefault(c.IncomingBuffer, DefaultIncomingBuffer) }
func (c *Config) queueLimit() int             { return orDefault(c.QueueLimit, DefaultQueueLimit) }
