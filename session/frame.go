package session

import (
	"unicode/utf8"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/bufpool"
)

// Frame is one WebSocket message or control frame as the application sees it
// (Ktor's Frame). Received data frames are always complete messages: surge joins
// fragments, so Fin is true and Op is OpText or OpBinary.
//
// Ownership (the one rule): a Frame owns its payload until it is released.
// A received frame is valid until you call Release, pass it to Send, or (for
// event-style handlers) until OnMessage returns. Send takes ownership of the
// frame it is given: once Send returns, the frame must not be used again and its
// pooled payload goes back to the pool (Send refuses a copy of it with
// ErrFrameReleased rather than send a buffer that may by then hold other
// bytes). To send one message many times, send frames that borrow it, or
// Clone it for each Send. Frames built with Binary, TextBytes,
// Ping or Pong borrow the caller's slice: surge never modifies it and does not
// keep it after Send returns. So the echo loop
//
//	for f := range s.Incoming() { s.Send(ctx, f) }
//
// recycles every buffer and allocates nothing.
//
// The zero Frame is an empty, final continuation frame and is not useful.
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

// Text returns a final text frame holding a pooled copy of s.
func Text(s string) Frame {
	b := bufpool.Get(len(s))
	b.B = append(b.B, s...)
	return pooledFrame(frame.OpText, b)
}

// TextBytes returns a final text frame that borrows p, which must be valid
// UTF-8; surge does not check what you send.
func TextBytes(p []byte) Frame { return Frame{Fin: true, Op: frame.OpText, Payload: p} }

// Binary returns a final binary frame that borrows p.
func Binary(p []byte) Frame { return Frame{Fin: true, Op: frame.OpBinary, Payload: p} }

// Ping returns a ping frame that borrows p (at most 125 bytes, RFC 6455 §5.5).
func Ping(p []byte) Frame { return Frame{Fin: true, Op: frame.OpPing, Payload: p} }

// Pong returns an unsolicited pong frame that borrows p (at most 125 bytes).
func Pong(p []byte) Frame { return Frame{Fin: true, Op: frame.OpPong, Payload: p} }

// Close returns a close frame carrying r. Sending it is the same as calling
// Session.Close(r).
func Close(r CloseReason) Frame {
	b := bufpool.Get(frame.MaxControlPayload)
	b.B = frame.AppendClose(b.B, r.Code, r.Message)
	return pooledFrame(frame.OpClose, b)
}

// pooledFrame wraps a pooled buffer as a final message frame.
func pooledFrame(op frame.Opcode, b *bufpool.Buf) Frame {
	return Frame{Fin: true, Op: op, Payload: b.B, buf: b, gen: b.Gen()}
}

// Text reads the payload of a text frame as a string. It copies (a Go string is
// immutable); use Payload to read without copying.
func (f *Frame) Text() string { return string(f.Payload) }

// CloseReason reads the payload of a close frame. A payload that is not a valid
// close payload reads as CloseNoStatus.
func (f *Frame) CloseReason() CloseReason {
	code, reason, err := frame.ParseClose(f.Payload)
	if err != nil {
		return CloseReason{Code: frame.CloseNoStatus}
	}
	return CloseReason{Code: code, Message: string(reason)}
}

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

// CloseReason is why a session ended or is asked to end (Ktor's CloseReason):
// a close code and a message of at most 123 bytes of UTF-8.
type CloseReason struct {
	Code    frame.CloseCode
	Message string
}

// String returns "1000 normal: bye"-style text.
func (r CloseReason) String() string {
	if r.Message == "" {
		return r.Code.String()
	}
	return r.Code.String() + ": " + r.Message
}

// validReason reports whether r can be sent in a close frame.
func (r CloseReason) validReason() bool {
	return (r.Code == frame.CloseNoStatus && r.Message == "") ||
		(r.Code.ValidOnWire() && len(r.Message) <= frame.MaxControlPayload-2 && utf8.ValidString(r.Message))
}
