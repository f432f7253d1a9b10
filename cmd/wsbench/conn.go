package main

import (
	"sync"
	"sync/atomic"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// conn is the client state of one connection, allocated once (in a slab)
// before dialing. It is its own event-style session.Handler, so it needs no
// lookup from session to state; it runs inline on the Dialer's loops.
type conn struct {
	session.NopHandler

	rs  *runState
	id  uint64 // global connection index, shared by every worker process
	cfg session.Config
	sh  *shard

	// sess is set by the goroutine that dialed it before the traffic starts.
	sess *session.Session

	// mu orders sends: the first depth messages are sent by the run's
	// goroutine while echoes may already trigger sends on the loop, and
	// the wire must see sequence numbers in order. It is not contended in
	// steady state (only the loop sends).
	mu      sync.Mutex
	buf     []byte
	sendSeq uint64
	sent    int64

	// recvSeq and recv belong to the loop that feeds the session (events of
	// one session never run concurrently).
	recvSeq uint64
	recv    atomic.Int64

	ended    atomic.Bool // the session has ended
	finished atomic.Bool // counted in runState.done (--messages reached or ended)
	alive    atomic.Bool // answered the liveness round trip (idle)
	// endedEarly: the session ended before the run closed it.
	endedEarly atomic.Bool
}

// frameOf wraps the connection's buffer without copying; Send copies it
// into the wire buffer, so buf may be refilled as soon as Send returns.
func (c *conn) frameOf(b []byte) session.Frame {
	if c.rs.pat.op == frame.OpText {
		return session.BorrowText(b)
	}
	return session.BorrowBinary(b)
}

// sendNext sends the connection's next message stamped with ts (ns since
// the run's base time); it reports false when --messages is reached.
func (c *conn) sendNext(s *session.Session, ts uint64) bool {
	rs := c.rs
	c.mu.Lock()
	if rs.limit > 0 && c.sent >= rs.limit {
		c.mu.Unlock()
		return false
	}
	rs.pat.fill(c.buf, c.id, c.sendSeq, ts)
	c.sendSeq++
	c.sent++
	err := s.Send(rs.ctx, c.frameOf(c.buf))
	c.mu.Unlock()
	if err != nil && !c.ended.Load() && rs.phase.Load() < phaseStopping {
		rs.countError(kindSend, 1)
	}
	return true
}

// OnMessage verifies an echoed payload, records its latency and, in closed
// loop, sends the next message from the loop. It allocates nothing.
func (c *conn) OnMessage(s *session.Session, f session.Frame) {
	rs := c.rs
	now := rs.now()
	ts, kind := rs.pat.check(c.id, c.recvSeq, f.Op, f.Payload)
	c.recvSeq++
	n := c.recv.Add(1)
	sh := c.sh
	sh.mu.Lock()
	if kind == "" {
		sh.verified++
		sh.received++
		sh.bytes += int64(len(f.Payload))
		recordMicros(sh.hist, (now-int64(ts))/nsPerMicro)
	} else {
		sh.countKind(kind)
	}
	sh.mu.Unlock()

	switch rs.mode {
	case modeIdle:
		if kind == "" && c.alive.CompareAndSwap(false, true) {
			rs.markDone(c)
		}
		return
	case modeOpen:
		if rs.limit > 0 && n >= rs.limit {
			rs.markDone(c)
		}
		return
	}
	if rs.limit > 0 && n >= rs.limit {
		rs.markDone(c)
		return
	}
	if rs.phase.Load() < phaseStopping {
		c.sendNext(s, uint64(now))
	}
}

// OnError counts why a session failed.
func (c *conn) OnError(_ *session.Session, err error) {
	if c.rs.phase.Load() < phaseClosing {
		c.rs.countError(sessionErrKind(err), 1)
	}
}

// OnClose counts the close code and, when the run did not close the
// session itself, an early close.
func (c *conn) OnClose(_ *session.Session, r session.CloseReason) {
	c.ended.Store(true)
	rs := c.rs
	rs.countClose(r.Code)
	if rs.phase.Load() < phaseClosing {
		c.endedEarly.Store(true)
		rs.countError(kindClosedEarly, 1)
	}
	rs.closedConns.Add(1)
	rs.markDone(c)
}
