//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package engine

import (
	"time"

	"github.com/surgews/surge/internal/netpoll"
)

// A peer that stops reading holds its session's backlog, up to twice
// session.Config.Backlog, and reading from it pauses, so nothing it sends
// moves the session on. RFC 6455 §10.4 asks a server to bound what a peer
// can make it hold, so a connection that waits to write for the session's
// Timeout while the kernel takes less than stallMinBytes is dropped (the
// portable driver's write deadline does the same). A trickle does not count
// as progress: a peer that reads a byte a second, or a kernel that opens a
// full receive window by a few bytes as it compacts its queue, would
// otherwise hold the backlog for ever. A loop sweeps its connections for
// stalls while any waits to write.

// stallSweeps is how many sweeps one Timeout spans: a stalled peer is
// dropped between Timeout and Timeout plus a quarter of it.
const stallSweeps = 4

// stallMinBytes is the least a waiting connection must write per Timeout to
// count as moving: 4 KiB in 15 s is 270 bytes a second, far below any real
// link.
const stallMinBytes = 4 << 10

// stallMark is where a waiting connection stood when its stall clock last
// started: kept by the loop for the connections that wait to write, not in
// every idle conn.
type stallMark struct {
	at      int64         // when the wait began or last moved, in Unix ns
	written uint64        // the session's bytes written then
	timeout time.Duration // the session's Timeout
}

// watchStall starts the stall clock of a connection that now waits for
// writability, and makes sure a sweep will look at it.
func (l *loop) watchStall(c *conn) {
	if c.ep == nil {
		return // handshakes and dials have deadlines of their own
	}
	written, timeout := c.ep.Progress()
	if timeout <= 0 {
		return
	}
	if l.stalls == nil {
		l.stalls = make(map[*conn]stallMark)
	}
	l.stalls[c] = stallMark{at: time.Now().UnixNano(), written: written, timeout: timeout}
	if !l.stimer.Armed() {
		l.wheel.Schedule(&l.stimer, max(timeout/stallSweeps, tick))
	}
}

// sweepStalled drops the connections whose wait for writability made no
// progress for their Timeout, forgets those that no longer wait, and arms
// the next sweep while others wait.
func (l *loop) sweepStalled() {
	now := time.Now().UnixNano()
	next := time.Duration(0)
	for c, m := range l.stalls {
		if !c.open() || c.interest()&netpoll.EventWrite == 0 {
			delete(l.stalls, c)
			continue
		}
		written, _ := c.ep.Progress()
		switch {
		case written-m.written >= stallMinBytes:
			l.stalls[c] = stallMark{at: now, written: written, timeout: m.timeout} // it moves: start over
		case time.Duration(now-m.at) >= m.timeout:
			delete(l.stalls, c)
			l.closeConn(c, errWriteStalled)
			continue
		}
		if d := max(m.timeout/stallSweeps, tick); next == 0 || d < next {
			next = d
		}
	}
	if next > 0 {
		l.wheel.Schedule(&l.stimer, next)
	}
}
