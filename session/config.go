package session

import (
	"log/slog"
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
	// ends, or the session closes (Ktor's SUSPEND). An event-style session
	// (its handler runs inline on an event loop or on the worker pool) never
	// waits, whoever sends to it: an event loop that waited could be the one
	// that drains the backlog (a broadcast from another session's inline
	// handler, for instance), and pool workers that waited for peers that
	// stopped reading would stall every session of the pool. Its frame is
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
	// Timeout is how long a ping waits for a pong, a close for the peer's
	// close, and frames for a peer that does not read (see Backlog), before
	// the connection is dropped. 0 means 15 seconds (Ktor's default).
	Timeout time.Duration
	// CloseTimeout is how long a closing handshake waits for the peer's
	// close frame; 0 means Timeout.
	CloseTimeout time.Duration
	// MaxFrameSize bounds one received frame's payload; a larger frame closes
	// the session with 1009. 0 means MaxMessageSize. Ktor's maxFrameSize is
	// the one limit there; its "unlimited" (Long.MAX_VALUE) is
	// math.MaxInt64 here, which, with MaxMessageSize left 0, lifts the
	// message limit as well.
	MaxFrameSize int64
	// MaxMessageSize bounds a received message after joining fragments and
	// decoding extensions; a larger one closes the session with 1009. 0
	// means 32 MiB, or the frame limit (MaxFrameSize, or the session's
	// SetMaxFrameSize) when that is larger. With Fragments, nothing is
	// joined and it bounds only what an extension decodes.
	MaxMessageSize int64
	// Masking makes a server mask the frames it sends, like Ktor's masking
	// option. RFC 6455 §5.1 forbids a server to mask, so RFC clients (surge's
	// by default, browsers, gorilla, Node's ws) fail such a session with 1002:
	// set it only for clients that ask for it. On a client, which always
	// masks (RFC 6455 §5.3), Masking makes it accept masked frames from such
	// a server instead of failing with 1002.
	Masking bool
	// Backlog bounds the outgoing bytes waiting to be written. 0 means
	// 4 MiB. Frames that may not wait (see BackpressureWait) are queued past
	// it up to twice the limit, so a session holds at most twice Backlog
	// for its peer, in a pooled buffer of the next power of two; and a peer
	// that takes almost nothing (under 4 KiB) for Timeout while frames wait
	// for it is dropped (RFC 6455 §10.4), its session ending with an error
	// that wraps ErrTimeout.
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
	// Fragments delivers received data frames as they arrive instead of
	// joining them into messages (Ktor's frames with fin=false), for
	// streaming messages too large to hold: the first frame of a message
	// has Op OpText or OpBinary, the following ones OpContinuation, and the
	// last one Fin. Text is still validated as UTF-8 across the frames (a
	// fragment may end inside a character). A message compressed by an
	// extension (permessage-deflate) is still delivered whole, since it can
	// only be decoded whole.
	Fragments bool
	// OnControl, when set, is called with each ping and pong the peer
	// sends (Ktor's raw session shows them), after surge has answered a
	// ping: for liveness or round-trip times. It runs on the goroutine that
	// reads the connection (an event loop), so it must not block; f's
	// payload is valid only during the call.
	OnControl func(s *Session, f Frame)
	// Logger receives what goes wrong that no caller sees: handler panics
	// (with their stack), unexpected transport errors, and for a server its
	// accept failures (rate-limited). Normal closes, peers that vanish and
	// protocol violations are not logged; they are counted (engine's
	// Stats). nil means slog.Default().
	Logger *slog.Logger
	// Codec encodes and decodes the values of SendValue, Receive and Decode
	// (Ktor's contentConverter). nil means JSON (encoding/json) in text
	// frames.
	Codec Codec
}

// orDefault returns v when it is set (positive), else d: the rule of every
// zero-means-default field.
func orDefault[T int | int64 | time.Duration](v, d T) T {
	if v > 0 {
		return v
	}
	return d
}

func (c *Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

func (c *Config) timeout() time.Duration      { return orDefault(c.Timeout, defaultTimeout) }
func (c *Config) closeTimeout() time.Duration { return orDefault(c.CloseTimeout, c.timeout()) }

// maxFrame is the frame limit; the message limit, which may follow it, is
// Session.msgLimit.
func (c *Config) maxFrame() int64 {
	return orDefault(c.MaxFrameSize, orDefault(c.MaxMessageSize, defaultMaxMessageSize))
}
func (c *Config) backlog() int        { return orDefault(c.Backlog, defaultBacklog) }
func (c *Config) incomingBuffer() int { return orDefault(c.IncomingBuffer, defaultIncomingBuffer) }
func (c *Config) queueLimit() int     { return orDefault(c.QueueLimit, defaultQueueLimit) }
