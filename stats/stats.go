// Package stats is the snapshot of what a surge server or dialer is doing:
// connections, handshakes, messages, bytes, frames, pings, close codes, why
// sessions ended, backpressure, and how busy each event loop is.
// engine.Server.Stats and engine.Dialer.Stats return a [Snapshot]; package
// metrics exposes them to Prometheus.
//
// Counters only grow (for the life of the server or dialer); gauges (Conns,
// PooledBuffers) are the value now. Counts are kept per event loop without a
// process-wide counter on the hot path, so leaving them on costs a few
// nanoseconds per message; a snapshot adds the loops up, and allocates.
package stats

import "time"

// Snapshot is a server's or dialer's counts at one moment. Maps are keyed by
// a bounded set of values (HTTP statuses, close codes, end reasons), so
// they suit metric labels.
type Snapshot struct {
	// Conns is the number of open connections, handshaking ones included.
	Conns int
	// Accepted counts accepted TCP connections; Upgraded those whose
	// opening handshake succeeded (dialled ones included).
	Accepted, Upgraded uint64
	// Rejected counts refused opening handshakes by the HTTP status
	// answered (400, 403, 404, 405, 426, 431, 503, 505; 0 for others).
	Rejected map[int]uint64

	// MessagesIn and MessagesOut count data messages, and BytesIn and
	// BytesOut their payload bytes (after an extension decodes, before it
	// encodes), by type. Under session.Config.Fragments each frame counts
	// its bytes and the last one its message.
	MessagesIn, MessagesOut, BytesIn, BytesOut Count
	// WireIn and WireOut count the bytes read from and written to the
	// connections after their handshake: frame headers, masking, extension
	// encodings included.
	WireIn, WireOut uint64
	// FramesIn and FramesOut count frames of every kind.
	FramesIn, FramesOut uint64
	// Pings and pongs received and sent; surge answers pings itself.
	PingsIn, PingsOut, PongsIn, PongsOut uint64

	// ClosesSent and ClosesReceived count close frames by close code, as
	// "1000" ... "1015", "3000-3999", "4000-4999" or "other".
	ClosesSent, ClosesReceived map[string]uint64
	// Ended counts ended sessions by reason: "normal" (a closing
	// handshake), "peer_gone" (lost without a close frame), "ping_timeout",
	// "close_timeout", "protocol_error" and "message_too_big" (the peer
	// broke the protocol or the limits; by code in ProtocolErrors),
	// "backpressure_close" (a peer that did not read, closed with 1008),
	// "handler_panic", "shutdown" and "terminated".
	Ended map[string]uint64
	// ProtocolErrors counts the sessions we failed for the peer's fault,
	// by the close code we sent (1002, 1007, 1009, ...).
	ProtocolErrors map[string]uint64
	// Drops counts frames dropped under session.BackpressureDrop.
	Drops uint64
	// ReadPauses counts the times reading from a peer paused for
	// backpressure (a busy handler, or a peer that does not read);
	// WriteWaits the writes that went short and waited for writability.
	ReadPauses, WriteWaits uint64

	// Loops is each event loop's time: handling events and parked.
	Loops []Loop
	// PooledBuffers is the number of pooled buffers in use now (messages
	// in flight, backlogs), in the whole process.
	PooledBuffers int64
}

// Count is a count by message type.
type Count struct {
	Text, Binary uint64
}

// Loop is one event loop's time: Busy handling events, Wait parked in the
// poller for them. Wait includes the park in progress, so a loop idle since
// it started shows its idle time; neither figure ever goes back.
type Loop struct {
	Busy, Wait time.Duration
}
