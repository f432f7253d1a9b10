package session

import (
	"errors"
	"io"
	"net"
	"time"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/bufpool"
	"github.com/surgews/surge/internal/seam"
)

// Close starts the closing handshake with r (Ktor's close): frames sent
// before it, including those still in Outgoing, are written first, then the
// close frame; the transport is closed once the peer answers or Timeout
// passes. It returns ErrInvalidFrame for a reason that cannot be sent (a
// code RFC 6455 §7.4 reserves, a reason over 123 bytes or not UTF-8) and
// net.ErrClosed after the session has ended; closing twice is not an error.
func (s *Session) Close(r CloseReason) error {
	if !validReason(r) {
		return errBadCloseReason
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state&stFinished != 0 {
		return net.ErrClosed
	}
	if s.state&(stCloseSent|stClosePending) != 0 {
		return nil
	}
	if x := s.lazy; x != nil && x.outCh != nil {
		// Frames the application already put in Outgoing go first: the
		// close travels through the channel behind them. Close itself
		// never waits (a helper goroutine carries the close when the
		// channel is full), and the close timer bounds the whole wait.
		s.state |= stClosePending
		s.setReasonLocked(r, nil)
		s.drv.SetTimer(s.closeTimeoutLocked())
		f, out, done := closeFrame(r), x.outCh, s.doneLocked()
		select {
		case out <- f:
		default:
			go func() {
				select {
				case out <- f:
				case <-done:
					f.Release()
				}
			}()
		}
		return nil
	}
	s.closeLocked(r, nil)
	return nil
}

// closeFrame returns a pooled close frame carrying r.
func closeFrame(r CloseReason) Frame {
	b := bufpool.Get(frame.MaxControlPayload)
	b.B = frame.AppendClose(b.B, r.Code, r.Reason)
	return pooledFrame(frame.OpClose, b)
}

// closeNow is Close without waiting for Outgoing: Send of a close frame.
func (s *Session) closeNow(r CloseReason) error {
	if !validReason(r) {
		return errBadCloseReason
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state&stFinished != 0 {
		return net.ErrClosed
	}
	s.state &^= stClosePending
	s.closeLocked(r, nil)
	return nil
}

// closeLocked sends our close frame, once, and waits for the peer's.
func (s *Session) closeLocked(r CloseReason, err error) {
	if s.state&(stCloseSent|stFinished) != 0 {
		return
	}
	s.setReasonLocked(r, err)
	s.queueCloseLocked(r.Code, r.Reason)
	if s.state&stCloseRecv != 0 {
		s.afterCloseLocked()
	}
}

// queueCloseLocked writes a close frame behind the backlog, ignoring its limit.
func (s *Session) queueCloseLocked(code frame.CloseCode, reason string) {
	var buf [frame.MaxControlPayload]byte
	p := frame.AppendClose(buf[:0], code, reason)
	s.state |= stCloseSent
	s.state &^= stAwaitPong
	_ = s.writeLocked(true, frame.OpClose, 0, p)
	s.drv.SetTimer(s.closeTimeoutLocked())
}

// badCloseSkipped follows the last byte of a close frame that broke the
// rules (see consume): the peer's close has now arrived whole, so the
// transport closes once our close is out.
func (s *Session) badCloseSkipped() {
	s.mu.Lock()
	if s.state&stCloseRecv != 0 {
		s.mu.Unlock()
		return
	}
	s.state |= stCloseRecv
	if s.state&stCloseSent != 0 && s.state&stFinished == 0 {
		s.afterCloseLocked()
	}
	s.mu.Unlock()
}

// afterCloseLocked runs once both close frames are exchanged (or we gave
// up on the peer): when our close is written, a server closes the transport
// (RFC 6455 §7.1.1: the server closes TCP first); a client gives the server
// Timeout to do so.
func (s *Session) afterCloseLocked() {
	if s.out != nil {
		s.state |= stCloseFlush
		return
	}
	if s.role == seam.Server || s.state&stFailed != 0 {
		s.closeTransportLocked(true)
		return
	}
	s.drv.SetTimer(s.closeTimeoutLocked())
}

// closeTimeoutLocked is the session's Timeout when it was changed, else the
// configured CloseTimeout.
func (s *Session) closeTimeoutLocked() time.Duration {
	if s.lazy != nil && s.lazy.setTimeout && s.lazy.timeout > 0 {
		return s.lazy.timeout
	}
	return s.route.cfg.closeTimeout()
}

// closeTransportLocked asks the driver to close the connection, once; flush
// says whether what the driver holds is still worth writing (a closing
// handshake) or the connection is dropped (see seam.Driver.CloseTransport).
func (s *Session) closeTransportLocked(flush bool) {
	if s.state&stTransport == 0 {
		s.state |= stTransport
		s.drv.SetTimer(0)
		s.drv.CloseTransport(flush)
	}
}

// setReasonLocked records why the session ends; the first reason wins.
func (s *Session) setReasonLocked(r CloseReason, err error) {
	x := s.lazyState()
	if !x.hasRsn {
		x.reason, x.hasRsn = r, true
	}
	if x.err == nil {
		x.err = err
	}
}

// Terminate drops the connection at once, without a closing handshake and
// without writing the backlog (Ktor's terminate). The session ends with 1006.
func (s *Session) Terminate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state&stFinished != 0 {
		return
	}
	s.setReasonLocked(reasonTerminated, nil)
	if s.out != nil {
		bufpool.Put(s.out)
		s.out, s.outOff = nil, 0
	}
	s.closeTransportLocked(false)
}

// control handles a complete control frame (RFC 6455 §5.5).
func (s *Session) control(op frame.Opcode, p []byte) error {
	s.countControlIn(op, p)
	switch op {
	case frame.OpPing:
		if s.skipping() {
			return nil
		}
		s.mu.Lock()
		// One pong waiting in the backlog answers every ping before it
		// (RFC 6455 §5.5.3), so a ping flood cannot grow the backlog.
		if s.state&(stCloseSent|stFinished|stPongQueued) == 0 {
			_ = s.writeLocked(true, frame.OpPong, 0, p)
			if s.state&stWantWrite != 0 && s.out != nil {
				// The pong waits behind a peer that does not read; until
				// it is written, it answers the pings that follow.
				s.state |= stPongQueued
				s.lazyState().pongEnd = len(s.out.B)
			}
		}
		s.mu.Unlock()
		s.onControl(op, p)
	case frame.OpPong:
		s.mu.Lock()
		if s.state&stAwaitPong != 0 {
			s.state &^= stAwaitPong
			s.pongLocked(p)
			if d := s.pingIntervalLocked(); d > 0 && s.state&stCloseSent == 0 {
				s.drv.SetTimer(d)
			}
		}
		s.mu.Unlock()
		if !s.skipping() {
			s.onControl(op, p)
		}
	case frame.OpClose:
		code, reason, err := frame.ParseClose(p)
		s.mu.Lock()
		defer s.mu.Unlock()
		if err != nil && s.state&stCloseSent == 0 {
			// A malformed close is still the peer's last frame (§5.5.1):
			// fail now and close the transport once our close is out,
			// rather than wait CloseTimeout for a close that never comes.
			s.state |= stCloseRecv
			return err
		}
		s.recv |= recvSkip
		s.state |= stCloseRecv
		if s.state&stFailPending != 0 {
			// Our failure answers this close once the application has
			// handled what came before it.
			return nil
		}
		if err == nil {
			s.setReasonLocked(CloseReason{Code: code, Reason: string(reason)}, nil)
		}
		if s.state&stCloseSent == 0 {
			echo := code
			if code == frame.CloseNoStatus {
				reason = nil
			}
			if s.deferEchoLocked(echo, reason) {
				return nil
			}
			s.queueCloseLocked(echo, string(reason))
		}
		s.afterCloseLocked()
	}
	return nil
}

// fail fails the connection for err (RFC 6455 §7.1.7): it sends a close frame
// with err's code, skips further data, and waits for the peer's close.
func (s *Session) fail(err error) error {
	again := s.recv&recvSkip != 0
	s.recv |= recvSkip
	s.releaseRx()
	if !again && s.recv&recvLost == 0 && s.deferFail(err) {
		return err
	}
	s.mu.Lock()
	s.failLocked(err, again || s.recv&recvLost != 0)
	s.mu.Unlock()
	return err
}

// failNow fails the connection for err after the application has handled the
// messages received before the violation.
func (s *Session) failNow(err error) {
	s.mu.Lock()
	s.state &^= stFailPending
	s.failLocked(err, false)
	s.mu.Unlock()
}

// failLocked sends the close frame of a failure; final means nothing more
// will come that we can use, so the transport closes once it is written.
func (s *Session) failLocked(err error, final bool) {
	if s.state&stFinished != 0 {
		return
	}
	code, ok := frame.CloseCodeOf(err)
	if !ok {
		code = frame.CloseProtocolError
	}
	reason := ""
	if pe, ok := errors.AsType[*frame.CloseReason](err); ok && pe != nil {
		reason = pe.Reason
	}
	s.setReasonLocked(CloseReason{Code: code, Reason: reason}, err)
	s.state |= stFailed
	if s.state&stCloseSent == 0 {
		s.queueCloseLocked(code, reason)
	}
	if final || s.state&stCloseRecv != 0 {
		// The stream cannot be framed any more, or the peer already
		// closed: nothing more will come that we can use.
		s.afterCloseLocked()
	}
}

// deferFail queues a failure behind the messages the application has not
// handled yet, so that its answers to them go out before the close frame
// (RFC 6455 §5.5.1: nothing may follow a close). Inline handlers have
// already run by the time the violation is parsed, so they need no wait.
func (s *Session) deferFail(err error) bool {
	mode := s.route.mode
	if mode == modeInline {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state&(stFinished|stCloseSent) != 0 {
		return false
	}
	channel := mode == modeChannel
	if !channel && !s.scheduled {
		return false // the pool has nothing of this session left to run
	}
	if s.waiting == nil {
		s.waiting = eventQueues.Get().(*eventQueue)
	}
	q := s.waiting
	q.q = append(q.q, event{kind: evFail, err: err})
	s.state |= stFailPending
	if channel && !q.pumping {
		q.pumping = true
		go s.pump()
	}
	return true
}

// deferEchoLocked queues the answer to the peer's close behind the messages
// the application has not handled yet, as deferFail does for a failure, so
// that its answers to messages that came before the close (in the same
// write, say) go out before our close frame. Inline handlers have already
// run; a channel-style session waits only when this Feed delivered a
// message, since its application's progress can only be guessed at (see
// awaitHandler).
func (s *Session) deferEchoLocked(code frame.CloseCode, reason []byte) bool {
	channel := false
	switch s.route.mode {
	case modeInline:
		return false
	case modePool:
		if !s.scheduled {
			return false // the pool has nothing of this session left to run
		}
	case modeChannel:
		if s.recv&recvDelivered == 0 {
			return false
		}
		channel = true
	}
	if s.waiting == nil {
		s.waiting = eventQueues.Get().(*eventQueue)
	}
	q := s.waiting
	q.q = append(q.q, event{kind: evEcho, err: &frame.CloseReason{Code: code, Reason: string(reason)}})
	if channel && !q.pumping {
		q.pumping = true
		go s.pump()
	}
	return true
}

// echoNow answers the peer's close once the application has handled the
// messages received before it.
func (s *Session) echoNow(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state&(stFinished|stTransport) != 0 {
		return
	}
	if r, ok := err.(*frame.CloseReason); ok && s.state&stCloseSent == 0 {
		s.queueCloseLocked(r.Code, r.Reason)
	}
	s.afterCloseLocked()
}

// releaseRx gives back the receive side's buffers.
func (s *Session) releaseRx() {
	if s.msg != nil {
		bufpool.Put(s.msg)
		s.msg = nil
	}
	if s.ctl != nil {
		bufpool.Put(s.ctl)
		s.ctl = nil
	}
}

// timer is seam.Endpoint.Timer: the timer armed with SetTimer fired. It
// sends the next ping, or gives up on a peer that did not answer a ping or a
// close in time.
func (s *Session) timer() {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.state&(stFinished|stTransport) != 0:
	case s.state&stClosePending != 0:
		// What was queued in Outgoing before Close did not go out in
		// time: give up on the peer.
		s.setReasonLocked(CloseReason{Code: frame.CloseAbnormal}, ErrTimeout)
		s.closeTransportLocked(false)
	case s.state&stCloseSent != 0:
		// Both closes exchanged (a client waiting for the server to
		// close TCP) is still a clean end; a missing answer is not.
		exchanged := s.state&stCloseRecv != 0
		if !exchanged {
			s.setReasonLocked(CloseReason{Code: frame.CloseAbnormal}, ErrTimeout)
		}
		s.closeTransportLocked(exchanged)
	case s.state&stAwaitPong != 0:
		// CloseReason is the close frame sent, as its doc says: the
		// peer that missed the pong may still read it.
		s.setReasonLocked(reasonPingTimeout, ErrTimeout)
		s.queueCloseLocked(reasonPingTimeout.Code, reasonPingTimeout.Reason)
		s.closeTransportLocked(false)
	default:
		s.idleExtsLocked()
		if d := s.pingIntervalLocked(); d > 0 {
			var stamp [8]byte
			if err := s.writeLocked(true, frame.OpPing, 0, pingStamp(&stamp)); err == nil {
				s.state |= stAwaitPong
				s.drv.SetTimer(s.timeoutLocked())
			}
		}
	}
}

// idleExtsLocked tells the extensions the session is idle when it sent no
// message through them for a whole timer period (a ping interval), so they
// can release per-session state such as a compressor.
func (s *Session) idleExtsLocked() {
	if s.lazy == nil || len(s.lazy.exts) == 0 {
		return
	}
	if s.state&stExtBusy != 0 {
		s.state &^= stExtBusy
		return
	}
	for _, e := range s.lazy.exts {
		e.Idle()
	}
}

// closed is seam.Endpoint.Closed, called from the feeding goroutine once when
// the transport is gone, with the read or write error that ended it (nil or
// io.EOF for an orderly end). It ends the session: CloseReason is set (1006 if
// no close frame was exchanged), waiters wake, Done closes, and the handler gets
// OnError (for an abnormal end) and OnClose, or Incoming is closed.
func (s *Session) closed(err error) {
	if unexpectedIOError(err) {
		s.route.cfg.logger().Warn("surge: connection failed", "path", s.pathString(), "remote", s.drv.Remote(), "err", err)
	}
	s.releaseRx()
	s.recv |= recvSkip
	s.mu.Lock()
	if s.state&stFinished != 0 {
		s.mu.Unlock()
		return
	}
	s.state |= stFinished | stTransport
	x := s.lazyState()
	for _, e := range x.exts {
		e.Idle()
	}
	if !x.hasRsn {
		x.reason, x.hasRsn = CloseReason{Code: frame.CloseAbnormal}, true
		if x.err == nil {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			x.err = err
		}
	} else if x.err == nil && s.state&stCloseRecv == 0 && s.state&stCloseSent != 0 && err != nil && err != io.EOF {
		x.err = err
	}
	if s.out != nil {
		bufpool.Put(s.out)
		s.out, s.outOff = nil, 0
	}
	if x.head != nil {
		// The handler never opened (it panicked, or the pool closed).
		x.dropHeadLocked()
	}
	s.notifyLocked()
	// Counted before Done closes, so that whoever waited on Done finds
	// the end in the statistics.
	s.countEndLocked(x)
	if x.done != nil {
		close(x.done)
	} else {
		x.done = closedChan
	}
	s.drv.SetTimer(0)
	reportErr := x.err
	s.mu.Unlock()
	s.endPush()
	if reportErr != nil {
		s.dispatch(event{kind: evError, err: reportErr})
	}
	s.dispatch(event{kind: evClose})
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Done returns a channel closed when the session has ended (with CloseReason,
// Ktor's closeReason Deferred). It is created on first use.
func (s *Session) Done() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.doneLocked()
}

func (s *Session) doneLocked() chan struct{} {
	x := s.lazyState()
	if x.done == nil {
		x.done = make(chan struct{})
	}
	return x.done
}

// CloseReason returns why the session ended, or is ending: the close frame
// sent or received first, 1006 (CloseAbnormal) when the connection was lost
// without one, or Terminate dropped it. A peer that misses a pong gets a
// 1001 "ping timeout" close frame, and that is the CloseReason (with Err
// ErrTimeout). It is the zero CloseReason while the session is open.
func (s *Session) CloseReason() CloseReason {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lazy == nil {
		return CloseReason{}
	}
	return s.lazy.reason
}

// Err returns the error that ended the session: a *frame.CloseReason for a
// peer's violation, ErrTimeout, ErrHandlerPanic, a transport error; nil after
// a clean closing handshake. While the session is open it is nil, unless a
// frame put in Outgoing could not be sent (see Outgoing): the first such
// error stays, so no frame vanishes without a trace.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lazy == nil {
		return nil
	}
	return s.lazy.err
}
