package session

import (
	"io"
	"net"
	"time"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/bufpool"
)

// Close starts the closing handshake with r (Ktor's close): frames sent
// before it, including those still in Outgoing, are written first, then the
// close frame; the transport is closed once the peer answers or Timeout
// passes. It returns ErrBadCloseReason for a reason that cannot be sent and
// net.ErrClosed after the session has ended; closing twice is not an error.
func (s *Session) Close(r CloseReason) error {
	if !r.validReason() {
		return ErrBadCloseReason
	}
	s.mu.Lock()
	var out chan Frame
	var done chan struct{}
	if s.x != nil && s.x.outCh != nil && s.state&(stCloseSent|stFinished) == 0 {
		out, done = s.x.outCh, s.doneLocked()
	}
	s.mu.Unlock()
	if out != nil {
		// Queue the close behind what the application already put in
		// Outgoing, so none of it is lost.
		select {
		case out <- Close(r):
			return nil
		case <-done:
			return net.ErrClosed
		}
	}
	return s.closeNow(r)
}

func (s *Session) closeNow(r CloseReason) error {
	if !r.validReason() {
		return ErrBadCloseReason
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state&stFinished != 0 {
		return net.ErrClosed
	}
	s.closeLocked(r, nil)
	return nil
}

// closeLocked sends our close frame, once, and waits for the peer's.
func (s *Session) closeLocked(r CloseReason, err error) {
	if s.state&(stCloseSent|stFinished) != 0 {
		return
	}
	s.setReasonLocked(r, err)
	s.queueCloseLocked(r.Code, r.Message)
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

// afterCloseLocked runs once both close frames are exchanged (or we gave
// up on the peer): when our close is written, a server closes the transport
// (RFC 6455 §7.1.1: the server closes TCP first); a client gives the server
// Timeout to do so.
func (s *Session) afterCloseLocked() {
	if s.out != nil {
		s.state |= stCloseFlush
		return
	}
	if s.role == RoleServer || s.state&stFailed != 0 {
		s.closeTransportLocked()
		return
	}
	s.drv.SetTimer(s.closeTimeoutLocked())
}

// closeTimeoutLocked is the session's Timeout when it was changed, else the
// configured CloseTimeout.
func (s *Session) closeTimeoutLocked() time.Duration {
	if s.x != nil && s.x.setTimeout && s.x.timeout > 0 {
		return s.x.timeout
	}
	return s.cfg.closeTimeout()
}

func (s *Session) closeTransportLocked() {
	if s.state&stTransport == 0 {
		s.state |= stTransport
		s.drv.SetTimer(0)
		s.drv.CloseTransport()
	}
}

// setReasonLocked records why the session ends; the first reason wins.
func (s *Session) setReasonLocked(r CloseReason, err error) {
	x := s.extra()
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
	s.setReasonLocked(CloseReason{Code: frame.CloseAbnormal, Message: "terminated"}, nil)
	if s.out != nil {
		bufpool.Put(s.out)
		s.out, s.outOff = nil, 0
	}
	s.closeTransportLocked()
}

// control handles a complete control frame (RFC 6455 §5.5).
func (s *Session) control(op frame.Opcode, p []byte) error {
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
			if s.state&stWantWrite != 0 {
				// The pong waits behind a peer that does not read.
				s.state |= stPongQueued
			}
		}
		s.mu.Unlock()
	case frame.OpPong:
		s.mu.Lock()
		if s.state&stAwaitPong != 0 {
			s.state &^= stAwaitPong
			if d := s.pingIntervalLocked(); d > 0 && s.state&stCloseSent == 0 {
				s.drv.SetTimer(d)
			}
		}
		s.mu.Unlock()
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
		s.rx |= rxSkip
		s.state |= stCloseRecv
		if err == nil {
			s.setReasonLocked(CloseReason{Code: code, Message: string(reason)}, nil)
		}
		if s.state&stCloseSent == 0 {
			echo := code
			if code == frame.CloseNoStatus {
				reason = nil
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
	code, ok := frame.CloseCodeOf(err)
	if !ok {
		code = frame.CloseProtocolError
	}
	again := s.rx&rxSkip != 0
	s.rx |= rxSkip
	s.releaseRx()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state&stFinished != 0 {
		return err
	}
	reason := ""
	var pe *frame.ProtocolError
	if asProtocol(err, &pe) {
		reason = pe.Reason
	}
	s.setReasonLocked(CloseReason{Code: code, Message: reason}, err)
	s.state |= stFailed
	if s.state&stCloseSent == 0 {
		s.queueCloseLocked(code, reason)
	}
	if again || s.rx&rxLost != 0 || s.state&stCloseRecv != 0 {
		// The stream cannot be framed any more, or the peer already
		// closed: nothing more will come that we can use.
		s.afterCloseLocked()
	}
	return err
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

// Timer is called by the driver when the timer armed with SetTimer fires: it
// sends the next ping, or gives up on a peer that did not answer a ping or a
// close in time.
func (s *Session) Timer() {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.state&(stFinished|stTransport) != 0:
	case s.state&stCloseSent != 0:
		if s.state&stCloseRecv == 0 {
			s.setReasonLocked(CloseReason{Code: frame.CloseAbnormal}, ErrTimeout)
		}
		s.closeTransportLocked()
	case s.state&stAwaitPong != 0:
		s.setReasonLocked(CloseReason{Code: frame.CloseAbnormal, Message: "ping timeout"}, ErrTimeout)
		s.queueCloseLocked(frame.CloseGoingAway, "ping timeout")
		s.closeTransportLocked()
	default:
		s.idleExtsLocked()
		if d := s.pingIntervalLocked(); d > 0 {
			if err := s.writeLocked(true, frame.OpPing, 0, nil); err == nil {
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
	if s.x == nil || len(s.x.exts) == 0 {
		return
	}
	if s.state&stExtBusy != 0 {
		s.state &^= stExtBusy
		return
	}
	for _, e := range s.x.exts {
		e.Idle()
	}
}

// Closed is called by the driver, from the feeding goroutine, exactly once when
// the transport is gone, with the read or write error that ended it (nil or
// io.EOF for an orderly end). It ends the session: CloseReason is set (1006 if
// no close frame was exchanged), waiters wake, Done closes, and the handler gets
// OnError (for an abnormal end) and OnClose, or Incoming is closed.
func (s *Session) Closed(err error) {
	s.releaseRx()
	s.rx |= rxSkip
	s.mu.Lock()
	if s.state&stFinished != 0 {
		s.mu.Unlock()
		return
	}
	s.state |= stFinished | stTransport
	x := s.extra()
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
	s.notifyLocked()
	if x.done != nil {
		close(x.done)
	} else {
		x.done = closedChan
	}
	s.drv.SetTimer(0)
	reportErr := x.err
	s.mu.Unlock()
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
	x := s.extra()
	if x.done == nil {
		x.done = make(chan struct{})
	}
	return x.done
}

// CloseReason returns why the session ended, or is ending: the close frame
// sent or received first, 1006 (CloseAbnormal) when the connection was lost
// without one. It is the zero CloseReason while the session is open.
func (s *Session) CloseReason() CloseReason {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.x == nil {
		return CloseReason{}
	}
	return s.x.reason
}

// Err returns the error that ended the session: a *frame.ProtocolError for a
// peer's violation, ErrTimeout, ErrHandlerPanic, a transport error; nil while
// open and after a clean closing handshake.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.x == nil {
		return nil
	}
	return s.x.err
}
