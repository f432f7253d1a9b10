// Package counters holds the counts an event loop keeps of what its
// connections and sessions do, for the snapshot API (package stats) and its
// Prometheus exposition.
//
// A Set belongs to one event loop (or to the portable connections of one
// server or dialer), so its cache lines are written by that loop's goroutine
// and by the goroutines that send to its sessions, never by every core at
// once: there is no process-wide counter on the hot path. Fields are atomic
// so that a snapshot may read them from any goroutine; an uncontended atomic
// add costs a few nanoseconds, against microseconds per message.
package counters

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/surgews/surge/frame"
)

// Message types, the index of the per-type counters.
const (
	Text = iota
	Binary
	NTypes
)

// TypeOf returns the per-type index of a data opcode.
func TypeOf(op frame.Opcode) int {
	if op == frame.OpBinary {
		return Binary
	}
	return Text
}

// Why a session ended, the index of Set.Ended.
const (
	EndNormal            = iota // a closing handshake, either side first
	EndPeerGone                 // the connection was lost without a close frame
	EndPingTimeout              // the peer did not answer a ping
	EndCloseTimeout             // the peer did not answer our close
	EndProtocolError            // the peer broke RFC 6455 (by code in ProtocolErrors)
	EndMessageTooBig            // a message or frame over the limits (1009)
	EndBackpressureClose        // the peer did not read: closed with 1008
	EndHandlerPanic             // the handler panicked (1011)
	EndShutdown                 // the server shut down (1001)
	EndTerminated               // Terminate dropped the connection
	NEnds
)

// EndNames are the label values of the end reasons, by index.
var EndNames = [NEnds]string{
	"normal", "peer_gone", "ping_timeout", "close_timeout", "protocol_error",
	"message_too_big", "backpressure_close", "handler_panic", "shutdown", "terminated",
}

// Close codes are counted in buckets, so that a peer choosing codes cannot
// grow the label set: each code RFC 6455 and IANA define, codes 3000-3999
// (registered for libraries) as one, 4000-4999 (private) as one, and the
// rest as one.
const (
	codeFirst   = 1000
	codeLast    = 1015
	Code3xxx    = codeLast - codeFirst + 1
	Code4xxx    = Code3xxx + 1
	CodeOther   = Code4xxx + 1
	NCodeBucket = CodeOther + 1
)

// CodeBucket returns the bucket of a close code.
func CodeBucket(c frame.CloseCode) int {
	switch {
	case c >= codeFirst && c <= codeLast:
		return int(c - codeFirst)
	case c >= 3000 && c <= 3999:
		return Code3xxx
	case c >= 4000 && c <= 4999:
		return Code4xxx
	}
	return CodeOther
}

// BucketName returns the label value of a close code bucket.
func BucketName(b int) string {
	switch b {
	case Code3xxx:
		return "3000-3999"
	case Code4xxx:
		return "4000-4999"
	case CodeOther:
		return "other"
	}
	return itoa(codeFirst + b)
}

// Handshake refusals are counted by status, in these buckets.
var Statuses = [...]int{400, 403, 404, 405, 426, 431, 503, 505, 0}

// StatusBucket returns the index in Statuses of an HTTP status; 0, last,
// stands for any other.
func StatusBucket(status int) int {
	for i, s := range Statuses[:len(Statuses)-1] {
		if s == status {
			return i
		}
	}
	return len(Statuses) - 1
}

// Set is the counters of one event loop.
type Set struct {
	// Connections and handshakes: the loop's goroutine.
	Accepted atomic.Uint64
	Upgraded atomic.Uint64
	Rejected [len(Statuses)]atomic.Uint64

	// Bytes on the wire, frames and writes.
	WireIn     atomic.Uint64
	WireOut    atomic.Uint64
	FramesIn   atomic.Uint64
	FramesOut  atomic.Uint64
	ReadPauses atomic.Uint64 // reading paused for backpressure
	WriteWaits atomic.Uint64 // a write went short and waits for writability

	// Messages (payload bytes, after extensions decode and before they
	// encode), by type.
	MsgsIn   [NTypes]atomic.Uint64
	MsgsOut  [NTypes]atomic.Uint64
	BytesIn  [NTypes]atomic.Uint64
	BytesOut [NTypes]atomic.Uint64

	PingsIn  atomic.Uint64
	PingsOut atomic.Uint64
	PongsIn  atomic.Uint64
	PongsOut atomic.Uint64

	ClosesSent     [NCodeBucket]atomic.Uint64
	ClosesReceived [NCodeBucket]atomic.Uint64
	Ended          [NEnds]atomic.Uint64
	ProtocolErrors [NCodeBucket]atomic.Uint64 // EndProtocolError and EndMessageTooBig, by the code we closed with
	Drops          atomic.Uint64              // frames dropped under BackpressureDrop

	// The loop's time handling events, in nanoseconds. The loop's
	// goroutine alone.
	BusyNanos atomic.Uint64

	// The loop's time parked in the poller, behind Park, Unpark and Wait:
	// a snapshot includes the park in progress, so the figure of a loop
	// idle since it started grows, and it never goes back, which a
	// Prometheus counter must not.
	waitMu    sync.Mutex
	waitNanos uint64 // completed parks
	parkedAt  int64  // since parkEpoch, while parked
	parked    bool
}

// parkEpoch anchors the monotonic clock of the park times.
var parkEpoch = time.Now()

// Park records that the loop parks now, at t.
func (s *Set) Park(t time.Time) {
	s.waitMu.Lock()
	s.parkedAt, s.parked = int64(t.Sub(parkEpoch)), true
	s.waitMu.Unlock()
}

// Unpark ends the park in progress, if any, and returns the time it ended.
// It reads the clock under the lock, after any snapshot that already
// counted part of this park, so the total never shrinks.
func (s *Set) Unpark() time.Time {
	s.waitMu.Lock()
	now := time.Now()
	if s.parked {
		if d := int64(now.Sub(parkEpoch)) - s.parkedAt; d > 0 {
			s.waitNanos += uint64(d)
		}
		s.parked = false
	}
	s.waitMu.Unlock()
	return now
}

// Wait returns the loop's time parked so far, the park in progress
// included.
func (s *Set) Wait() time.Duration {
	s.waitMu.Lock()
	w := s.waitNanos
	if s.parked {
		if d := int64(time.Since(parkEpoch)) - s.parkedAt; d > 0 {
			w += uint64(d)
		}
	}
	s.waitMu.Unlock()
	return time.Duration(w)
}

func itoa(n int) string {
	var b [8]byte
	i := len(b)
	for n >= 10 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	i--
	b[i] = byte('0' + n)
	return string(b[i:])
}
