package session

import (
	"time"
)

// Defaults used where a Config field is zero; the field docs give them.
const (
	// Ktor's default timeout of 15 seconds.
	defaultTimeout        = 15 * time.Second
	defaultMaxMessageSize = 32 << 20
	defaultBacklog        = 4 << 20
	// Each slot costs an idle channel-style session a Frame (48 bytes); 8
	// keeps it under 4 KiB with its goroutine, and messages beyond the
	// buffer wait in the session's queue (QueueLimit), so nothing is lost.
	defaultIncomingBuffer = 8
	defaultQueueLimit     = 64
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

// Dispatch says where the handler of an event-style session runs (a
// channel-style session's function always runs on a goroutine of its own).
type Dispatch uint8

const (
	// DispatchInline runs handlers on the goroutine that reads the
	// connection (the event loop): fastest, and a received payload needs no
	// copy, but a handler must not block.
	DispatchInline Dispatch = iota
	// DispatchPool runs handlers on a bounded worker pool, each session's
	// events in order (engine.ReactorConfig.Workers sizes it).
	DispatchPool
)

// Config holds the settings shared by sessions, in the spirit of Ktor's
// install(WebSockets) { ... }: engine.Config.Session for a server's sessions,
// engine.DialOptions.Session for a client's. The zero value is usable; zero
// fields mean the default each field documents. The engine copies a Config
// when it takes it; per-session changes go through the Session setters.
type Config struct {
	// PingInterval is how often a ping is sent; 0 disables pings (Ktor's
	// default).
	PingInterval time.Duration
	// Timeout is how long a ping waits for a pong, and a close for the
	// peer's close, before the connection is dropped. 0 means 15 seconds
	// (Ktor's default).
	Timeout time.Duration
	// CloseTimeout is how long a closing handshake waits for the peer's
	// close frame; 0 means Timeout.
	CloseTimeout time.Duration
	// MaxFrameSize bounds one received frame's payload; a larger frame closes
	// the session with 1009. 0 means MaxMessageSize.
	MaxFrameSize int64
	// MaxMessageSize bounds a received message after joining fragments and
	// decoding extensions; a larger one closes the session with 1009. 0
	// means 32 MiB.
	MaxMessageSize int64
	// Masking makes a server mask the frames it sends, like Ktor's masking
	// option; a client always masks (RFC 6455 §5.3). A client session accepts
	// masked frames from a server only when Masking is set.
	Masking bool
	// Backlog bounds the outgoing bytes waiting to be written. 0 means
	// 4 MiB.
	Backlog int
	// Backpressure is what Send does when Backlog is exceeded.
	Backpressure Backpressure
	// Dispatch says where event handlers run.
	Dispatch Dispatch
	// IncomingBuffer is the capacity of the Incoming channel. 0 means 8.
	IncomingBuffer int
	// QueueLimit is how many received messages may wait for a busy handler
	// before surge stops reading from the peer. 0 means 64.
	QueueLimit int
}

// orDefault returns v when it is set (positive), else d: the rule of every
// zero-means-default field.
func orDefault[T int | int64 | time.Duration](v, d T) T {
	if v > 0 {
		return v
	}
	return d
}

func (c *Config) timeout() time.Duration      { return orDefault(c.Timeout, defaultTimeout) }
func (c *Config) closeTimeout() time.Duration { return orDefault(c.CloseTimeout, c.timeout()) }
func (c *Config) maxMessage() int64           { return orDefault(c.MaxMessageSize, defaultMaxMessageSize) }
func (c *Config) maxFrame() int64             { return orDefault(c.MaxFrameSize, c.maxMessage()) }
func (c *Config) backlog() int                { return orDefault(c.Backlog, defaultBacklog) }
func (c *Config) incomingBuffer() int         { return orDefault(c.IncomingBuffer, defaultIncomingBuffer) }
func (c *Config) queueLimit() int             { return orDefault(c.QueueLimit, defaultQueueLimit) }
