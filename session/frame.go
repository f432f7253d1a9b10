package session

import (
	"unicode/utf8"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/bufpool"
)

// Frame is one WebSocket message or control frame as the application sees it
// (Ktor's Frame). Received data frames are complete messages: surge joins
// fragments, so Fin is true and Op is OpText or OpBinary, unless
// Config.Fragments asks for frames as they arrive. Control frames are
// answered by surge and never received as messages (Config.OnControl shows
// pings and pongs).
//
// Ownership (the one rule): a Frame owns its payload until it is released.
// A received frame is valid until you call Release, pass it to Send, or (for
// event-style handlers) until OnMessage returns. Send takes ownership of the
// frame it is given: once Send returns, the frame must not be used again and
// its pooled payload goes back to the pool (Send refuses a copy of it with
// ErrInvalidFrame rather than send a buffer that may by then hold other
// bytes). So the echo loop
//
//	for f := range s.Incoming() { s.Send(ctx, f) }
//
// recycles every buffer and allocates nothing.
//
// The constructors say which kind of frame they make. CopyText and
// CopyBinary copy into a pooled buffer: such a frame can be sent once (Clone
// it to send it again, or to several sessions). BorrowText and BorrowBinary
// borrow the caller's slice: surge never modifies it and does not keep it
// after Send returns, so the same bytes may be sent any number of times, but
// not through Outgoing, whose frames are sent later. A Frame literal borrows
// its Payload too; that is how to send a ping or pong of your own:
// Frame{Fin: true, Op: frame.OpPing, Payload: p}.
//
// The zero Frame has Fin false and Op OpContinuation: a continuation frame
// with no message started, which Send refuses.
type Frame struct {
	Fin     bool
	Rsv1    bool
	Rsv2    bool
	Rsv3    bool
	Op      frame.Opcode
	gen     uint32 // buf's generation when this frame got it
	Payload []byte
	buf     *bufpool.Buf // pooled storage behind Payload; nil when Payload is borrowed
}

// CopyText returns a final text frame holding a pooled copy of s; it can be
// sent once.
func CopyText(s string) Frame {
	b := bufpool.Get(len(s))
	b.B = append(b.B, s...)
	return pooledFrame(frame.OpText, b)
}

// CopyBinary returns a final binary frame holding a pooled copy of p; it can
// be sent once.
func CopyBinary(p []byte) Frame {
	b := bufpool.Get(len(p))
	b.B = append(b.B, p...)
	return pooledFrame(frame.OpBinary, b)
}

// BorrowText returns a final text frame that borrows p, which must be valid
// UTF-8; surge does not check what you send.
func BorrowText(p []byte) Frame { return Frame{Fin: true, Op: frame.OpText, Payload: p} }

// BorrowBinary returns a final binary frame that borrows p.
func BorrowBinary(p []byte) Frame { return Frame{Fin: true, Op: frame.OpBinary, Payload: p} }

// pooledFrame wraps a pooled buffer as a final message frame.
func pooledFrame(op frame.Opcode, b *bufpool.Buf) Frame {
	return Frame{Fin: true, Op: op, Payload: b.B, buf: b, gen: b.Gen()}
}

// Text reads the payload of a text frame as a string. It copies (a Go string is
// immutable); use Payload to read without copying.
func (f *Frame) Text() string { return string(f.Payload) }

// Release gives the frame's pooled payload back to the pool and empties the
// frame. It is safe to call on a borrowed frame (it only empties it), more than
// once, and on a copy of a frame already released or sent: a buffer is
// returned to the pool only by the first release.
func (f *Frame) Release() {
	if f.buf != nil && f.buf.Gen() == f.gen {
		bufpool.Put(f.buf)
	}
	f.buf = nil
	f.Payload = nil
}

// Clone returns a copy of f with its own pooled payload, for keeping a received
// frame past its lifetime or sending one frame to many sessions.
func (f *Frame) Clone() Frame {
	b := bufpool.Get(len(f.Payload))
	b.B = append(b.B, f.Payload...)
	c := *f
	c.Payload, c.buf, c.gen = b.B, b, b.Gen()
	return c
}

// rsv returns the frame's RSV bits as they sit in the first header byte.
func (f *Frame) rsv() byte {
	var r byte
	if f.Rsv1 {
		r |= frame.Rsv1
	}
	if f.Rsv2 {
		r |= frame.Rsv2
	}
	if f.Rsv3 {
		r |= frame.Rsv3
	}
	return r
}

// CloseReason is a close code with its reason (Ktor's CloseReason): why a
// session ended, what Close sends, and the error of a protocol violation. It
// is [frame.CloseReason]; the reason is at most 123 bytes of UTF-8.
type CloseReason = frame.CloseReason

// validReason reports whether r can be sent in a close frame.
func validReason(r CloseReason) bool {
	return (r.Code == frame.CloseNoStatus && r.Reason == "") ||
		(r.Code.ValidOnWire() && len(r.Reason) <= frame.MaxControlPayload-2 && utf8.ValidString(r.Reason))
}
