package session

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/bufpool"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/mask"
)

// Send sends f (Ktor's send) and takes ownership of it: see Frame for the rule.
// Any number of goroutines may send at once; frames go out whole, in the order
// their Send calls took the session's lock.
//
// When the outgoing backlog is over its limit, Send follows the session's
// Backpressure policy: it waits (until the backlog drains, ctx ends, or the
// session closes), closes the session with 1008, or drops the frame. Pings and
// pongs pass the limit. Sending a close frame is Close. Send returns
// net.ErrClosed once the session is closing or closed.
//
// Send refuses with ErrInvalidFrame, sending nothing, a frame the peer would
// have to reject (RFC 6455 §5): an unknown opcode, a control frame without
// Fin or over 125 bytes, a continuation with no fragmented message open (the
// zero Frame is one), a text or binary frame while one is open, RSV bits that
// no negotiated extension owns or on a continuation; and a pooled frame that
// was already sent or released (a copy of one given to Send before). RSV bits
// that an extension owns say the payload is already in that extension's wire
// form: such a frame is sent as it is.
func (s *Session) Send(ctx context.Context, f Frame) error {
	return s.send(ctx, f, false)
}

// send is Send; queued says the frame comes from Outgoing, where it is ahead
// of the close frame of any pending Close, so that Close does not refuse it.
func (s *Session) send(ctx context.Context, f Frame, queued bool) error {
	if f.buf != nil && f.buf.Gen() != f.gen {
		// Sending it would send whatever the recycled buffer holds now.
		return errFrameReleased
	}
	// No defer: sendOwned has more returns than open-coded defers allow
	// (returns x defers <= 15), and a defer record cost Send some 150
	// instructions a frame (callgrind, BenchmarkSend). A panic in between
	// leaves the buffer to the garbage collector, which is harmless.
	err := s.sendOwned(ctx, &f, queued)
	f.Release()
	return err
}

// sendOwned is send once it owns f; the caller releases f.
func (s *Session) sendOwned(ctx context.Context, f *Frame, queued bool) error {
	switch f.Op {
	case frame.OpText, frame.OpBinary, frame.OpContinuation:
		if rsv := f.rsv(); rsv&^s.validator.AllowedRsv != 0 || (rsv != 0 && f.Op == frame.OpContinuation) {
			// AllowedRsv is set when the session is made and never
			// changes, so reading it here does not race with feed.
			return errReservedBits
		}
	case frame.OpPing, frame.OpPong, frame.OpClose:
		switch {
		case !f.Fin:
			return errControlFragmented
		case f.rsv() != 0:
			return errReservedBits
		case len(f.Payload) > frame.MaxControlPayload:
			return errControlTooLong
		case f.Op == frame.OpClose:
			code, reason, err := frame.ParseClose(f.Payload)
			if err != nil {
				return errBadCloseReason
			}
			return s.closeNow(CloseReason{Code: code, Reason: string(reason)})
		}
	default:
		return errBadOpcode
	}
	s.mu.Lock()
	if !s.inOrderLocked(f) {
		// Refused before the Backpressure policy can wait for, drop or
		// close over a frame that could not be sent anyway.
		s.mu.Unlock()
		return errFragmentOrder
	}
	for f.Op.IsData() && s.state&(stCloseSent|stFinished) == 0 && s.backlogLocked() >= s.route.cfg.backlog() {
		switch s.route.cfg.Backpressure {
		case BackpressureDrop:
			if c := s.drv.Counters(); c != nil {
				c.Drops.Add(1)
			}
			s.mu.Unlock()
			return ErrBacklogFull
		case BackpressureClose:
			s.closeLocked(CloseReason{Code: frame.ClosePolicyViolation, Reason: "outgoing backlog full"}, ErrBacklogFull)
			s.mu.Unlock()
			return ErrBacklogFull
		}
		if s.atomicFlags.Load()&flagInline != 0 || s.servedByEvents() {
			// An event loop must never wait: it is what drains backlogs.
			// Nor may a worker of the shared pool: two peers that stop
			// reading would hold every worker, and every other session of
			// the pool would stall. The sender may be this session's
			// handler or another session's (a broadcast), so event-style
			// sessions do not wait at all: the frame is queued past the
			// limit, reading from the peer stops, and a peer that lets the
			// backlog reach twice the limit is dropped with 1008.
			if s.backlogLocked() >= 2*s.route.cfg.backlog() {
				s.closeLocked(CloseReason{Code: frame.ClosePolicyViolation, Reason: "outgoing backlog full"}, ErrBacklogFull)
				s.mu.Unlock()
				return ErrBacklogFull
			}
			s.pauseLocked(stPauseOut)
			break
		}
		ch := s.drainLocked()
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		s.mu.Lock()
		if !s.inOrderLocked(f) {
			// Other senders moved on while this one waited.
			s.mu.Unlock()
			return errFragmentOrder
		}
	}
	if s.state&(stCloseSent|stFinished) != 0 || (s.state&stClosePending != 0 && !queued) {
		s.mu.Unlock()
		return net.ErrClosed
	}
	// f is in order: note whether a fragmented message is open after it.
	// Control frames (Fin, checked above) leave it as it is.
	if !f.Fin {
		s.state |= stSendFragment
		if f.Op == frame.OpBinary {
			s.state |= stSendBinary
		} else if f.Op == frame.OpText {
			s.state &^= stSendBinary
		}
	} else if f.Op == frame.OpContinuation {
		s.state &^= stSendFragment
	}
	err := s.sendLocked(f)
	if s.lazy != nil {
		s.lazy.sends++ // awaitHandler watches the application answer
	}
	s.mu.Unlock()
	return err
}

// servedByEvents reports whether the session's events run on its event
// loop or on the shared worker pool, which must never wait for one peer.
func (s *Session) servedByEvents() bool { return s.route.mode != modeChannel }

// inOrderLocked reports whether f may be sent now: control frames may come
// between fragments, continuations only inside a fragmented message, and a
// text or binary frame only outside one.
func (s *Session) inOrderLocked(f *Frame) bool {
	return f.Op.IsControl() || (s.state&stSendFragment != 0) == (f.Op == frame.OpContinuation)
}

// sendLocked encodes f through the extensions and writes it.
func (s *Session) sendLocked(f *Frame) error {
	if f.Op.IsData() {
		s.countOutLocked(f)
	}
	rsv := f.rsv()
	if s.lazy == nil || len(s.lazy.exts) == 0 || rsv != 0 || !f.Fin || f.Op == frame.OpContinuation || f.Op.IsControl() {
		return s.writeLocked(f.Fin, f.Op, rsv, f.Payload)
	}
	var enc *bufpool.Buf
	p := f.Payload
	s.state |= stExtBusy
	for _, e := range s.lazy.exts {
		b := bufpool.Get(len(p) + 64)
		out, r, err := e.EncodeMessage(b.B, p)
		if err != nil {
			bufpool.Put(b)
			bufpool.Put(enc)
			return err
		}
		if r == 0 && len(out) == 0 {
			bufpool.Put(b)
			continue
		}
		b.B = out
		bufpool.Put(enc)
		enc, p, rsv = b, out, rsv|r
	}
	err := s.writeLocked(true, f.Op, rsv, p)
	bufpool.Put(enc)
	return err
}

// backlogLocked returns the bytes waiting to be written.
func (s *Session) backlogLocked() int {
	if s.out == nil {
		return 0
	}
	return len(s.out.B) - s.outOff
}

// writeLocked encodes one frame and writes it now, or queues it behind the
// backlog. The payload is copied (masked on the way when the session masks),
// so the caller's bytes are never modified.
func (s *Session) writeLocked(fin bool, op frame.Opcode, rsv byte, p []byte) error {
	if s.state&(stFinished|stTransport) != 0 {
		return net.ErrClosed
	}
	s.countFrameOutLocked(op, p)
	h := frame.Header{Fin: fin, Rsv: rsv, Op: op, Length: int64(len(p))}
	if s.maskingLocked() {
		h.Masked = true
		binary.LittleEndian.PutUint32(h.Key[:], rand.Uint32())
	}
	n := h.Size() + len(p)
	if len(p) >= directMin && !h.Masked && s.state&stWantWrite == 0 {
		// A large payload goes to the socket from the caller's bytes,
		// behind what is batched, unless Feed has more to batch with it.
		if pw, ok := s.drv.(seam.PairWriter); ok {
			if f := s.atomicFlags.Load(); f&flagCork == 0 || f&flagFeedEnd != 0 {
				return s.writeDirectLocked(pw, &h, p)
			}
		}
	}
	if s.queueLocked(n) {
		s.out.B = appendFrame(s.out.B, &h, p)
		s.queuedLocked()
		return nil
	}
	b := bufpool.Get(n)
	b.B = appendFrame(b.B, &h, p)
	w, err := s.drv.Write(b.B)
	s.written += uint64(w)
	if err != nil {
		bufpool.Put(b)
		s.writeFailedLocked(err)
		return err
	}
	if w == len(b.B) {
		bufpool.Put(b)
		return nil
	}
	s.out, s.outOff = b, w
	s.wantWriteLocked()
	return nil
}

// directMin is the smallest payload writeLocked writes from the caller's
// bytes instead of copying it behind its header: the copy (a memmove of the
// whole payload, 2–3% of the server's CPU at 100 × 16 KiB) outweighs a
// second iovec only for large payloads.
const directMin = 4 << 10

// writeDirectLocked writes the backlog (if any, unsent only because Feed
// batches it), h and p in one system call, and copies into the backlog only
// what the socket did not take. The header goes behind the backlog, in a
// pooled buffer, so that the call takes two buffers.
func (s *Session) writeDirectLocked(pw seam.PairWriter, h *frame.Header, p []byte) error {
	if s.out == nil {
		s.out, s.outOff = bufpool.Get(frame.MaxHeaderSize), 0
	} else {
		s.out = bufpool.Grow(s.out, frame.MaxHeaderSize) // append must not leave the pooled buffer
	}
	s.out.B = frame.AppendHeader(s.out.B, h)
	head := len(s.out.B) - s.outOff
	w, err := pw.WritePair(s.out.B[s.outOff:], p)
	s.written += uint64(w)
	if err != nil {
		s.writeFailedLocked(err)
		return err
	}
	if w < head {
		s.outOff += w
		w = 0
	} else {
		s.outOff = len(s.out.B)
		w -= head
	}
	if w < len(p) {
		s.out = bufpool.Grow(s.out, len(p)-w)
		s.out.B = append(s.out.B, p[w:]...)
	}
	s.wroteLocked()
	return nil
}

// queueLocked reports whether n more bytes must go to the end of the backlog
// rather than to the driver (there is a backlog, or a Feed is batching its
// writes), and makes room for them there if so.
func (s *Session) queueLocked(n int) bool {
	if s.out == nil && s.atomicFlags.Load()&flagCork != 0 {
		// Inside Feed: batch with whatever else this read produces. Mark
		// the batch before checking the cork again, the mirror of uncork,
		// so that one of the two always sees the other.
		s.atomicFlags.Or(flagCorkQueued)
		if s.atomicFlags.Load()&flagCork != 0 {
			s.out, s.outOff = bufpool.Get(n), 0
		}
	}
	if s.out == nil {
		return false
	}
	if s.outOff > len(s.out.B)/2 {
		// Reclaim the written front before growing.
		k := copy(s.out.B, s.out.B[s.outOff:])
		if s.state&stPongQueued != 0 {
			s.lazy.pongEnd -= s.outOff
		}
		s.out.B, s.outOff = s.out.B[:k], 0
	}
	s.out = bufpool.Grow(s.out, n)
	return true
}

// queuedLocked follows bytes appended to the backlog after queueLocked: a
// large batch goes out now rather than at the end of Feed.
func (s *Session) queuedLocked() {
	if s.state&stWantWrite == 0 && len(s.out.B)-s.outOff >= corkLimit {
		s.flushLocked()
	}
}

// wantWriteLocked asks the driver for writability, once.
func (s *Session) wantWriteLocked() {
	if s.state&stWantWrite == 0 {
		s.state |= stWantWrite
		s.drv.WantWrite()
	}
}

// uncork ends the batch of one Feed: frames written while it ran (echoes,
// pongs, close answers) were queued, and now go out in one write.
func (s *Session) uncork() {
	s.atomicFlags.And(^flagCork)
	if s.atomicFlags.Load()&flagCorkQueued == 0 {
		return
	}
	s.mu.Lock()
	s.atomicFlags.And(^flagCorkQueued)
	if s.state&stWantWrite == 0 {
		s.flushLocked()
	}
	s.mu.Unlock()
}

// corkLimit bounds the bytes a Feed batches before writing them.
const corkLimit = 64 << 10

// appendFrame appends the header h and the payload p, masking p with h's key
// when h is masked.
func appendFrame(dst []byte, h *frame.Header, p []byte) []byte {
	dst = frame.AppendHeader(dst, h)
	if !h.Masked {
		return append(dst, p...)
	}
	n := len(dst)
	dst = dst[:n+len(p)]
	mask.XORCopy(dst[n:], p, h.Key, 0)
	return dst
}

// writable is seam.Endpoint.Writable: the transport can take more bytes
// after WantWrite. It writes the backlog, wakes senders and flushers, and
// resumes reading when the backlog was the reason it stopped.
func (s *Session) writable() {
	s.mu.Lock()
	s.state &^= stWantWrite
	s.flushLocked()
	s.mu.Unlock()
}

// flushLocked writes the backlog, or what of it the transport takes.
func (s *Session) flushLocked() {
	if s.out == nil || s.state&(stFinished|stTransport) != 0 {
		return
	}
	w, err := s.drv.Write(s.out.B[s.outOff:])
	s.written += uint64(w)
	s.outOff += w
	if err != nil {
		s.writeFailedLocked(err)
		return
	}
	s.wroteLocked()
}

// wroteLocked follows a write from the backlog (outOff has moved past what
// the transport took): it wakes flushers, and either asks for writability
// or, with the backlog empty, releases it and finishes what waited for it.
func (s *Session) wroteLocked() {
	s.notifyLocked()
	if s.state&stPongQueued != 0 && s.outOff >= s.lazy.pongEnd {
		s.state &^= stPongQueued // the queued pong is out: answer the next ping
	}
	if s.outOff < len(s.out.B) {
		s.wantWriteLocked()
		return
	}
	bufpool.Put(s.out)
	s.out, s.outOff = nil, 0
	s.state &^= stPongQueued
	s.resumeLocked(stPauseOut)
	if s.state&stCloseFlush != 0 {
		s.state &^= stCloseFlush
		s.afterCloseLocked()
	}
}

// writeFailedLocked ends a session whose transport refused a write.
func (s *Session) writeFailedLocked(err error) {
	x := s.lazyState()
	if x.err == nil {
		x.err = err
	}
	s.closeTransportLocked(false)
}

// drainLocked returns a channel closed at the backlog's next progress.
func (s *Session) drainLocked() chan struct{} {
	x := s.lazyState()
	if x.drain == nil {
		x.drain = make(chan struct{})
	}
	return x.drain
}

// notifyLocked wakes everyone waiting on the backlog.
func (s *Session) notifyLocked() {
	if s.lazy != nil && s.lazy.drain != nil {
		close(s.lazy.drain)
		s.lazy.drain = nil
	}
}

// Flush returns once every frame sent before it has been handed to the kernel
// (Ktor's flush), or when ctx ends. After the session has ended it returns
// net.ErrClosed if something could not be written, nil otherwise. Called from
// an inline handler, which runs on the event loop that does the writing, it
// writes what the kernel takes now and returns ErrWouldBlock if anything is
// left.
func (s *Session) Flush(ctx context.Context) error {
	s.mu.Lock()
	if s.out != nil && s.state&stWantWrite == 0 {
		// Frames batched by a running Feed: write them now.
		s.flushLocked()
	}
	target := s.written + uint64(s.backlogLocked())
	if s.written < target && s.atomicFlags.Load()&flagInline != 0 {
		// On the event loop the rest can only be written after the
		// handler returns.
		s.mu.Unlock()
		return ErrWouldBlock
	}
	for s.written < target && s.state&stFinished == 0 {
		ch := s.drainLocked()
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		s.mu.Lock()
	}
	short := s.written < target
	s.mu.Unlock()
	if short {
		return net.ErrClosed
	}
	return nil
}

// Outgoing returns a channel whose frames are sent in order, as by Send (Ktor's
// outgoing). It is created, with the goroutine that drains it, on the first
// call. Close sends what is already in the channel before the close frame. Do
// not close the channel. A frame put in the channel is sent later, so give it
// pooled frames (CopyText, CopyBinary, Clone, received frames), not ones that
// borrow a slice you will reuse (BorrowBinary, BorrowText).
//
// A frame Send would refuse (an invalid frame: a ping over 125 bytes, a
// continuation with no message open, ...) has no caller to return the error
// to, so it closes the session with 1011 and Err reports it; a frame dropped
// under BackpressureDrop makes Err report ErrBacklogFull (wrapped) while the
// session goes on. Once the session has ended, frames put in the channel are
// released, not sent, and never block the sender, for as long as the session
// is reachable (a handler that still runs holds it); watch Done to stop
// producing.
func (s *Session) Outgoing() chan<- Frame {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.lazyState()
	if x.outCh == nil {
		x.outCh = make(chan Frame, s.route.cfg.incomingBuffer())
		// The drainer must outlive the session (a sender must not block on
		// a session that ended) but not the Session itself: it stops when
		// the Session is garbage, and holds no reference to it meanwhile.
		stop := make(chan struct{})
		runtime.AddCleanup(s, func(c chan struct{}) { close(c) }, stop)
		go s.drainOutgoing(x.outCh, s.doneLocked(), stop)
	}
	return x.outCh
}

// drainOutgoing sends what the application puts in Outgoing until the
// session ends, then releases it until the session is collected.
func (s *Session) drainOutgoing(ch chan Frame, done, stop chan struct{}) {
	for {
		select {
		case f := <-ch:
			// While a Close waits behind them, the frames of Outgoing
			// still go out: a frame read here is ahead of the close
			// frame in the channel, so it goes out before it, and the
			// close frame, once sent, refuses the rest. Asking here
			// whether a Close is pending raced with Close: a frame read
			// just before Close and sent just after it was dropped.
			if err := s.send(context.Background(), f, true); err != nil {
				s.outgoingFailed(err)
			}
			continue
		case <-done:
		}
		break
	}
	// s is not used past this point, so it does not keep the Session alive.
	releaseOutgoing(ch, stop)
}

// releaseOutgoing empties Outgoing's channel of a session that has ended
// until stop closes, then once more.
func releaseOutgoing(ch chan Frame, stop chan struct{}) {
	for {
		select {
		case f := <-ch:
			f.Release()
		case <-stop:
			for {
				select {
				case f := <-ch:
					f.Release()
				default:
					return
				}
			}
		}
	}
}

// outgoingFailed reports a frame from Outgoing that was not sent.
func (s *Session) outgoingFailed(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case errors.Is(err, net.ErrClosed) || s.state&stFinished != 0:
		// The session is closing or over: the frame is released, as
		// every later one.
	case errors.Is(err, ErrInvalidFrame):
		s.closeLocked(CloseReason{Code: frame.CloseInternalError, Reason: "invalid frame in Outgoing"}, fmt.Errorf("session: frame from Outgoing: %w", err))
	default:
		x := s.lazyState()
		if x.err == nil {
			x.err = fmt.Errorf("session: frame from Outgoing not sent: %w", err)
		}
	}
}
