package session

import (
	"net"

	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/bufpool"
	"github.com/surgews/surge/internal/push"
	"github.com/surgews/surge/internal/seam"
)

// This file is the session's side of package topic: frames encoded once
// (push.Frame) written to many sessions through each session's own write
// path, backlog and Backpressure policy. The hooks travel through
// internal/push for the reason package seam gives for NewRoute.

func init() {
	push.Attach = attachMember
	push.Deliver = deliverPrepared
	push.LoopOf = loopOf
}

// attachMember returns s's topic membership, making it on first use; nil
// once s has ended, so that no subscription outlives its session.
func attachMember(s *Session) *push.Member {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state&stFinished != 0 {
		return nil
	}
	if s.member == nil {
		s.member = &push.Member{}
	}
	return s.member
}

// loopOf returns the event loop that serves s, nil when its driver has none.
func loopOf(s *Session) seam.Loop {
	if ld, ok := s.drv.(seam.LoopDriver); ok {
		return ld.Loop()
	}
	return nil
}

// endPush drops the topic subscriptions of a session that has ended. It is
// called once, by closed, outside mu.
func (s *Session) endPush() {
	// member is only written under mu before stFinished is set, and closed
	// set stFinished under mu before calling this, so it is stable now.
	if m := s.member; m != nil && push.Ended != nil {
		push.Ended(m)
	}
}

// deliverPrepared writes fs to s in order, as one write when it can, and
// records in res what became of each. iov is the caller's scratch (an
// array here would escape through the driver's Writev): its length bounds the
// frames of one system call.
//
// A session that does not mask writes the prepared bytes themselves: the
// socket takes them from the shared buffer, and only what it does not take
// at once is copied into the backlog. With an extension whose encoding is
// shared (push.ShareKey: permessage-deflate without context takeover on our
// side), it writes the frame's encoding for that agreement, made once for
// all the sessions that share it. Otherwise (masking, context takeover,
// several extensions) each frame takes the ordinary send path, encoded for
// this session alone.
//
// A publisher never waits for a subscriber: BackpressureDrop drops the
// frame for this session, BackpressureClose closes it with 1008, and
// BackpressureWait queues past the limit with reading paused, as for a
// session served inline, and closes with 1008 at twice the limit.
func deliverPrepared(s *Session, fs []*push.Frame, res []push.Result, iov [][]byte) {
	s.mu.Lock()
	shared := !s.maskingLocked()
	var ext extension.Extension
	var key any
	if shared && s.lazy != nil && len(s.lazy.exts) > 0 {
		if len(s.lazy.exts) == 1 && push.ShareKey != nil {
			ext = s.lazy.exts[0]
			key = push.ShareKey(ext)
		}
		shared = key != nil
	}
	n, pending := 0, 0
	for i, f := range fs {
		w := f.Wire() // its length is close enough for the policy
		r := s.admitLocked(len(w) + pending)
		if r == push.Closed && n > 0 {
			// What was admitted before goes out before the close frame.
			_ = s.writeWireLocked(iov[:n], pending)
			n, pending = 0, 0
			r = s.admitLocked(len(w))
		}
		res[i] = r
		if r != push.Written {
			continue
		}
		sf := Frame{Fin: true, Op: f.Op(), Payload: f.Payload()}
		s.countOutLocked(&sf) // the loop's counters see publishes as sends
		ok := shared
		if ok && key != nil {
			w, ok = f.Encoded(key, ext)
		}
		if !ok {
			if n > 0 {
				_ = s.writeWireLocked(iov[:n], pending)
				n, pending = 0, 0
			}
			if s.sendLocked(&sf) != nil {
				res[i] = push.Gone
			}
			continue
		}
		if n == len(iov) {
			_ = s.writeWireLocked(iov[:n], pending)
			n, pending = 0, 0
		}
		iov[n] = w
		n++
		pending += len(w)
		s.countFrameOutLocked(f.Op(), nil) // writeLocked's count
	}
	if n > 0 && s.writeWireLocked(iov[:n], pending) != nil {
		for i := range res {
			if res[i] == push.Written {
				res[i] = push.Gone
			}
		}
	}
	clear(iov[:min(len(fs), len(iov))]) // hold no frame's bytes
	s.mu.Unlock()
}

// admitLocked applies the state and the Backpressure policy to a frame that
// would bring the bytes not yet written to backlog+n.
func (s *Session) admitLocked(n int) push.Result {
	if s.state&(stCloseSent|stClosePending|stFinished|stTransport) != 0 {
		return push.Gone
	}
	if s.state&stSendFragment != 0 {
		// A fragmented message is open: a whole message cannot go in
		// between its fragments (RFC 6455 §5.4).
		return push.Dropped
	}
	limit := s.route.cfg.backlog()
	b := s.backlogLocked()
	if b+n <= limit || b == 0 {
		// An empty backlog always takes one frame, however large:
		// the limit bounds what waits, not what is sent.
		return push.Written
	}
	switch s.route.cfg.Backpressure {
	case BackpressureDrop:
		if c := s.drv.Counters(); c != nil {
			c.Drops.Add(1) // as Send counts its drops
		}
		return push.Dropped
	case BackpressureWait:
		if b+n <= 2*limit {
			s.pauseLocked(stPauseOut)
			return push.Written
		}
	}
	s.closeLocked(CloseReason{Code: frame.ClosePolicyViolation, Reason: "outgoing backlog full"}, ErrBacklogFull)
	return push.Closed
}

// writeWireLocked writes frames already encoded (n bytes in all) now, or
// queues them behind the backlog: writeLocked for bytes that need no
// encoding, in one system call when the driver can write vectors.
func (s *Session) writeWireLocked(bufs [][]byte, n int) error {
	if s.state&(stFinished|stTransport) != 0 {
		return net.ErrClosed
	}
	if s.queueLocked(n) {
		// Behind a backlog, or inside Feed (a subscriber publishing from
		// its inline handler), as writeLocked.
		for _, b := range bufs {
			s.out.B = append(s.out.B, b...)
		}
		s.queuedLocked()
		return nil
	}
	var w int
	var err error
	if vw, ok := s.drv.(seam.VectorWriter); ok && len(bufs) > 1 {
		w, err = vw.Writev(bufs)
	} else {
		for _, b := range bufs {
			k, werr := s.drv.Write(b)
			w, err = w+k, werr
			if werr != nil || k < len(b) {
				break
			}
		}
	}
	s.written += uint64(w)
	if err != nil {
		s.writeFailedLocked(err)
		return err
	}
	if w == n {
		return nil
	}
	// The socket is full: the rest waits in the backlog, the one copy a
	// prepared frame may cost.
	s.out, s.outOff = bufpool.Get(n-w), 0
	for _, b := range bufs {
		if w >= len(b) {
			w -= len(b)
			continue
		}
		s.out.B = append(s.out.B, b[w:]...)
		w = 0
	}
	s.wantWriteLocked()
	return nil
}
