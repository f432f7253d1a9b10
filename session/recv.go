package session

import (
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/bufpool"
	"github.com/surgews/surge/internal/stepdecode"
	"github.com/surgews/surge/mask"
)

// maxInitialMessage caps the buffer reserved for a message from its announced
// length alone, so a header claiming a huge frame costs memory only as bytes
// really arrive.
const maxInitialMessage = 64 << 10

// maxSkip is the most of a failed frame's payload the session skips to reach
// the peer's close frame; past it the transport is closed once our close
// frame is written.
const maxSkip = 64 << 10

// feed is seam.Endpoint.Feed: it processes bytes received from the peer, in
// order. p may be the driver's shared read buffer: the session unmasks it in
// place and keeps none of it after feed returns (a partial frame is copied to
// a pooled buffer). One goroutine at a time may call feed.
//
// A complete message is delivered to the handler or the Incoming channel; a
// ping is answered with a pong and a close with a close (RFC 6455 §5.5). feed
// returns a non-nil error once the session has failed the connection (a
// *frame.CloseReason for a protocol violation): the close frame is queued and
// the transport will be closed; the driver may keep feeding (bytes are skipped
// until the peer's close arrives) or stop.
func (s *Session) feed(p []byte) error {
	s.atomicFlags.Or(flagCork)
	defer s.uncork()
	s.recv &^= recvDelivered
	return s.consume(p)
}

// consume is feed's work, also called with the bytes kept while a message
// was inflated in steps (inflate.go). It stops at such a message and keeps
// the bytes after it.
func (s *Session) consume(p []byte) error {
	var first error
	for len(p) > 0 && s.recv&(recvLost|recvInflating) == 0 {
		if s.recv&recvInFrame == 0 {
			n, ok, err := s.readHeader(p)
			p = p[n:]
			if err != nil {
				// The stream cannot be framed any more.
				s.recv |= recvLost
				return keepFirst(first, s.fail(err))
			}
			if !ok {
				return first
			}
			s.recv &^= recvBadFrame
			if err := s.beginFrame(); err != nil {
				s.recv |= recvBadFrame
				// The header was read, so a small payload can still be
				// skipped while we wait for the peer's close; a huge one
				// is not worth waiting for.
				if s.remain > maxSkip {
					s.recv |= recvLost
				}
				if s.hdr.Op == frame.OpClose {
					// A close frame that breaks the rules is still the
					// peer's last (§5.5.1): drop TCP once our close is
					// out instead of waiting CloseTimeout for another.
					// With its payload still to come, only once that is
					// read: closing with the peer's bytes in flight
					// ends the connection with an RST, not a FIN.
					if s.remain == 0 || s.recv&recvLost != 0 {
						s.mu.Lock()
						s.state |= stCloseRecv
						s.mu.Unlock()
					}
				}
				first = keepFirst(first, s.fail(err))
				continue
			}
			if s.recv&recvInFrame == 0 {
				continue // a frame without payload, already handled
			}
		}
		n := len(p)
		if int64(n) > s.remain {
			n = int(s.remain)
		}
		if n == len(p) {
			// Nothing follows in this Feed: a large echo of this message
			// batches with nothing and may go out at once, uncopied.
			s.atomicFlags.Or(flagFeedEnd)
		}
		err := s.payload(p[:n])
		s.atomicFlags.And(^flagFeedEnd)
		p = p[n:]
		if err != nil {
			if s.remain > maxSkip {
				s.recv |= recvLost
			}
			first = keepFirst(first, s.fail(err))
		}
	}
	if s.recv&recvInflating != 0 && len(p) > 0 {
		s.keepRest(p)
	}
	return first
}

func keepFirst(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// readHeader decodes a frame header from p, joining it with a header split
// over earlier reads. It returns how many bytes of p it used and whether the
// header in s.hdr is complete.
func (s *Session) readHeader(p []byte) (used int, ok bool, err error) {
	if s.hlen == 0 {
		n, need, err := frame.DecodeHeader(p, &s.hdr)
		if err != nil {
			return 0, false, err
		}
		if need > 0 {
			s.hlen = uint8(copy(s.hbuf[:], p))
			return len(p), false, nil
		}
		return n, true, nil
	}
	old := int(s.hlen)
	c := copy(s.hbuf[old:], p)
	n, need, err := frame.DecodeHeader(s.hbuf[:old+c], &s.hdr)
	if err != nil {
		return 0, false, err
	}
	if need > 0 {
		s.hlen += uint8(c)
		return c, false, nil
	}
	s.hlen = 0
	return n - old, true, nil
}

// beginFrame checks the header just read and prepares to read its payload.
func (s *Session) beginFrame() error {
	if c := s.drv.Counters(); c != nil {
		c.FramesIn.Add(1)
	}
	h := &s.hdr
	s.recv |= recvInFrame
	s.remain, s.maskPos = h.Length, 0
	if s.skipping() {
		if !h.Op.IsControl() && h.Length > 0 {
			return nil
		}
		if h.Length > frame.MaxControlPayload {
			return frame.ErrControlTooLong
		}
		if h.Length == 0 {
			return s.endFrame(nil)
		}
		return nil
	}
	s.maxFrame() // the validator checks the frame limit
	if err := s.validator.Check(h); err != nil {
		return err
	}
	if h.Op.IsControl() {
		if h.Rsv != 0 {
			// Extensions of surge work per message; none defines bits on
			// control frames (RFC 7692 §6 forbids RSV1 there).
			return frame.ErrReservedBits
		}
		if h.Length == 0 {
			return s.endFrame(nil)
		}
		return nil
	}
	if h.Op == frame.OpContinuation {
		if h.Rsv != 0 {
			return frame.ErrReservedBits
		}
	} else {
		s.msgLen = 0
		s.utf.Reset()
		s.msgOp, s.msgRsv = h.Op, h.Rsv
		s.recv &^= recvDecode
		if h.Rsv != 0 {
			s.recv |= recvDecode
		}
	}
	if s.msgLen+h.Length > s.msgLimit() && (s.recv&recvDecode != 0 || !s.route.cfg.Fragments) {
		// Fragments delivers frames as they come, holding no message,
		// unless an extension must decode it whole.
		return frame.ErrMessageTooBig
	}
	if h.Length == 0 {
		return s.endFrame(nil)
	}
	return nil
}

// msgLimit is the received message limit: MaxMessageSize, else the default
// or the frame limit, whichever is larger (so that Ktor's unlimited frame
// size, math.MaxInt64, is unlimited).
func (s *Session) msgLimit() int64 {
	if n := s.route.cfg.MaxMessageSize; n > 0 {
		return n
	}
	return max(defaultMaxMessageSize, s.validator.MaxFrameSize)
}

// onControl calls Config.OnControl with a received ping or pong.
func (s *Session) onControl(op frame.Opcode, p []byte) {
	if hook := s.route.cfg.OnControl; hook != nil {
		hook(s, Frame{Fin: true, Op: op, Payload: p})
	}
}

// maxFrame returns the frame limit, refreshing the feeder's copy after
// SetMaxFrameSize without taking the lock on the common path.
func (s *Session) maxFrame() int64 {
	if s.atomicFlags.Load()&flagLimit != 0 {
		s.atomicFlags.And(^flagLimit)
		s.validator.MaxFrameSize = s.MaxFrameSize()
	}
	return s.validator.MaxFrameSize
}

// skipping reports whether the session failed, or had the peer's close, and
// now only looks for a close frame.
func (s *Session) skipping() bool { return s.recv&recvSkip != 0 }

// payload consumes the next chunk of the current frame's payload; chunk is
// never longer than what remains of the frame.
func (s *Session) payload(chunk []byte) error {
	h := &s.hdr
	s.remain -= int64(len(chunk))
	whole := s.remain == 0
	if whole {
		s.recv &^= recvInFrame
	}
	if s.skipping() && (s.recv&recvBadFrame != 0 || h.Op != frame.OpClose || h.Length > frame.MaxControlPayload) {
		// After a failure or the peer's close only a close frame matters.
		if whole && s.recv&recvBadFrame != 0 && h.Op == frame.OpClose {
			s.badCloseSkipped()
		}
		return nil
	}
	if h.Op.IsControl() {
		if whole && s.ctl == nil {
			// The whole control payload is in this chunk.
			s.unmask(chunk)
			return s.endFrame(chunk)
		}
		if s.ctl == nil {
			s.ctl = bufpool.Get(frame.MaxControlPayload)
		}
		s.ctl.B = s.appendUnmasked(s.ctl.B, chunk)
		if !whole {
			return nil
		}
		return s.endFrame(s.ctl.B)
	}
	if whole && s.msg == nil && h.Fin && h.Op != frame.OpContinuation && s.recv&recvDecode == 0 {
		// The common case: a whole single-frame message in one read.
		if s.borrowOK() {
			s.unmask(chunk)
			if h.Op == frame.OpText && !frame.ValidUTF8(chunk) {
				return frame.ErrInvalidUTF8
			}
			s.deliver(Frame{Fin: true, Op: h.Op, Payload: chunk})
			return nil
		}
		b := bufpool.Get(len(chunk))
		b.B = s.appendUnmasked(b.B, chunk)
		if h.Op == frame.OpText && !frame.ValidUTF8(b.B) {
			bufpool.Put(b)
			return frame.ErrInvalidUTF8
		}
		s.deliver(pooledFrame(h.Op, b))
		return nil
	}
	if s.msg == nil {
		n := h.Length
		if n > maxInitialMessage {
			n = maxInitialMessage
		}
		s.msg = bufpool.Get(int(n))
	}
	s.msg = bufpool.Grow(s.msg, len(chunk))
	start := len(s.msg.B)
	s.msg.B = s.appendUnmasked(s.msg.B, chunk)
	s.msgLen += int64(len(chunk))
	if s.recv&recvDecode == 0 && s.msgOp == frame.OpText {
		// Fail fast: RFC 6455 §8.1 lets us close at the first bad byte.
		if !s.utf.Write(s.msg.B[start:]) {
			return frame.ErrInvalidUTF8
		}
	}
	if !whole {
		return nil
	}
	return s.endFrame(nil)
}

// borrowOK reports whether a message may be delivered in the feeder's buffer:
// only to an inline handler, which is done with it before Feed continues.
func (s *Session) borrowOK() bool { return s.route.mode == modeInline }

// unmask unmasks chunk in place, continuing the frame's key position.
func (s *Session) unmask(chunk []byte) {
	if s.hdr.Masked {
		s.maskPos = uint8(mask.XOR(chunk, s.hdr.Key, int(s.maskPos)))
	}
}

// appendUnmasked appends chunk, unmasked, to dst (dst has room).
func (s *Session) appendUnmasked(dst, chunk []byte) []byte {
	if !s.hdr.Masked {
		return append(dst, chunk...)
	}
	n := len(dst)
	dst = dst[:n+len(chunk)]
	s.maskPos = uint8(mask.XORCopy(dst[n:], chunk, s.hdr.Key, int(s.maskPos)))
	return dst
}

// endFrame finishes the current frame: ctl is a control frame's whole
// payload; a data frame's bytes are in s.msg.
func (s *Session) endFrame(ctl []byte) error {
	op, fin := s.hdr.Op, s.hdr.Fin
	s.recv &^= recvInFrame
	if op.IsControl() {
		err := s.control(op, ctl)
		if s.ctl != nil {
			bufpool.Put(s.ctl)
			s.ctl = nil
		}
		return err
	}
	if s.skipping() {
		return nil
	}
	if !fin {
		if s.route.cfg.Fragments && s.recv&recvDecode == 0 {
			s.deliver(s.fragment(false))
		}
		return nil
	}
	if s.recv&recvStreamed != 0 {
		// The last frame of a message delivered frame by frame.
		if s.msgOp == frame.OpText && !s.utf.Final() {
			return frame.ErrInvalidUTF8
		}
		s.deliver(s.fragment(true))
		return nil
	}
	msgOp := s.msgOp
	b := s.msg
	s.msg = nil
	if b == nil { // an empty message
		b = bufpool.Get(0)
	}
	if s.recv&recvDecode != 0 {
		s.recv &^= recvDecode
		d, err := s.decode(b)
		if err != nil || d == nil {
			return err // d == nil: a later turn of the loop delivers it
		}
		return s.deliverDecoded(msgOp, d)
	}
	if msgOp == frame.OpText && !s.utf.Final() {
		bufpool.Put(b)
		return frame.ErrInvalidUTF8
	}
	s.deliver(pooledFrame(msgOp, b))
	return nil
}

// deliverDecoded delivers a message the extensions decoded, once its text
// is checked.
func (s *Session) deliverDecoded(op frame.Opcode, b *bufpool.Buf) error {
	if op == frame.OpText && !frame.ValidUTF8(b.B) {
		bufpool.Put(b)
		return frame.ErrInvalidUTF8
	}
	s.deliver(pooledFrame(op, b))
	return nil
}

// fragment takes the frame just received out of s.msg, for Fragments: the
// first frame of a message carries its opcode, the rest are continuations.
func (s *Session) fragment(fin bool) Frame {
	b := s.msg
	s.msg = nil
	if b == nil {
		b = bufpool.Get(0)
	}
	f := pooledFrame(s.msgOp, b)
	if s.recv&recvStreamed != 0 {
		f.Op = frame.OpContinuation
	}
	f.Fin = fin
	if fin {
		s.recv &^= recvStreamed
	} else {
		s.recv |= recvStreamed
	}
	return f
}

// decode runs the negotiated extensions over a received message. It
// returns nil, nil when the decode goes on in later turns of the event loop
// (decodeInSteps).
func (s *Session) decode(b *bufpool.Buf) (*bufpool.Buf, error) {
	s.mu.Lock()
	exts := s.lazy.exts
	s.mu.Unlock()
	rsv := s.msgRsv
	limit := s.msgLimit()
	if len(exts) == 1 && stepdecode.Begin != nil {
		return s.decodeInSteps(exts[0], b, limit)
	}
	for i := len(exts) - 1; i >= 0; i-- {
		e := exts[i]
		if rsv&e.Rsv() == 0 {
			continue
		}
		out := bufpool.Get(len(b.B) * 2)
		res, err := e.DecodeMessage(out.B, rsv&e.Rsv(), b.B, limit)
		bufpool.Put(b)
		if err != nil {
			bufpool.Put(out)
			return nil, err
		}
		out.B = res
		b = out
	}
	return b, nil
}
