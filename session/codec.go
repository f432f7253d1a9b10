package session

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"unsafe"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/bufpool"
)

// Codec turns application values into message payloads and back (Ktor's
// contentConverter): Config.Codec sets it for a server, a route or a dialled
// session, and SendValue, Receive and Decode use it. nil means JSON through
// encoding/json, sent in text frames.
//
// A Codec is shared by every session of its route: its methods are called
// concurrently.
type Codec interface {
	// Append appends the encoding of v to dst and returns the extended
	// slice. dst is a pooled buffer: append to it rather than returning a
	// slice of your own, and the encoding costs no copy.
	Append(dst []byte, v any) ([]byte, error)
	// Unmarshal decodes a received message's payload into v, a pointer. The
	// payload is valid only during the call: copy what you keep.
	Unmarshal(p []byte, v any) error
	// Binary reports whether encodings go out in binary frames; otherwise
	// they go in text frames and must be UTF-8.
	Binary() bool
}

// jsonCodec is the default Codec.
type jsonCodec struct{}

func (jsonCodec) Append(dst []byte, v any) ([]byte, error) {
	// encoding/json has no append form: an Encoder writing into dst
	// through a pooled adapter encodes straight into the pooled buffer,
	// where Marshal would allocate its result and need a copy. What
	// allocates then is encoding/json's own work (and the boxing of a
	// value that is not a pointer into v); a Codec without reflection
	// costs nothing per message (BenchmarkSendValue).
	e := jsonEncoders.Get().(*jsonEncoder)
	e.w.b = dst
	err := e.enc.Encode(v)
	out := e.w.b
	e.w.b = nil // hold no caller's buffer in the pool
	jsonEncoders.Put(e)
	if err != nil {
		return dst, err
	}
	return bytes.TrimSuffix(out, []byte{'\n'}), nil // Encode ends a value with a newline
}

// jsonEncoder is an Encoder that appends to a byte slice.
type jsonEncoder struct {
	w   appendWriter
	enc *json.Encoder
}

var jsonEncoders = sync.Pool{New: func() any {
	e := &jsonEncoder{}
	e.enc = json.NewEncoder(&e.w)
	return e
}}

// appendWriter is an io.Writer that appends to b.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func (jsonCodec) Unmarshal(p []byte, v any) error { return json.Unmarshal(p, v) }

func (jsonCodec) Binary() bool { return false }

// codec returns the session's Codec.
func (s *Session) codec() Codec {
	if c := s.route.cfg.Codec; c != nil {
		return c
	}
	return jsonCodec{}
}

// SendText sends s as one text message (Ktor's send(String)), without copying
// it into a buffer of its own first. It is Send(ctx, BorrowText(...)) for a
// string; to send bytes in one call, Send(ctx, BorrowBinary(p)).
func (s *Session) SendText(ctx context.Context, text string) error {
	// The payload is only read while Send runs (Frame's borrowing rule),
	// so the string's bytes can be lent without a copy.
	p := unsafe.Slice(unsafe.StringData(text), len(text))
	return s.send(ctx, Frame{Fin: true, Op: frame.OpText, Payload: p}, false)
}

// SendValue encodes v with the session's Codec and sends it as one message
// (Ktor's sendSerialized), under Send's rules. An encoding error is returned
// wrapped, with nothing sent. The encoding goes straight into a pooled
// buffer: with the JSON default, pass a pointer to a plain struct and
// SendValue allocates nothing (a struct value is boxed into v, one
// allocation of the caller's; maps and the like cost encoding/json more).
func (s *Session) SendValue(ctx context.Context, v any) error {
	c := s.codec()
	b := bufpool.Get(512)
	p, err := c.Append(b.B[:0], v)
	b.B = p
	if err != nil {
		bufpool.Put(b)
		return fmt.Errorf("session: encoding %T: %w", v, err)
	}
	op := frame.OpBinary
	if !c.Binary() {
		op = frame.OpText
		if !frame.ValidUTF8(p) {
			bufpool.Put(b)
			return fmt.Errorf("session: encoding %T: %w", v, errCodecNotUTF8)
		}
	}
	return s.send(ctx, pooledFrame(op, b), false)
}

// Decode decodes the message f into v, a pointer, with the session's Codec
// (the decoding half of Ktor's receiveDeserialized, for event handlers: call
// it in OnMessage). surge adds no allocation; encoding/json allocates the
// strings of v and its own state, a Codec without reflection need not. It releases f. A message of the other frame type than the
// Codec's (binary for JSON) is an error wrapping ErrInvalidFrame.
func (s *Session) Decode(f Frame, v any) error {
	defer f.Release()
	c := s.codec()
	if want := s.codecOp(c); f.Op != want || !f.Fin {
		return fmt.Errorf("session: decoding into %T: %w", v, errCodecFrameType)
	}
	if err := c.Unmarshal(f.Payload, v); err != nil {
		return fmt.Errorf("session: decoding into %T: %w", v, err)
	}
	return nil
}

func (s *Session) codecOp(c Codec) frame.Opcode {
	if c.Binary() {
		return frame.OpBinary
	}
	return frame.OpText
}

// Receive waits for the next message of a channel-style session and decodes
// it into v with the session's Codec (Ktor's receiveDeserialized). It returns
// io.EOF once the session has ended and every message was received (the
// session's Err and CloseReason say why), ctx's error when ctx ends first,
// and Decode's error for a message that does not decode, which is consumed.
// An event-style session has no Incoming: Receive returns an error at once
// there; call Decode in OnMessage.
func (s *Session) Receive(ctx context.Context, v any) error {
	in := s.Incoming()
	if in == nil {
		return errReceiveEvents
	}
	select {
	case f, ok := <-in:
		if !ok {
			return io.EOF
		}
		return s.Decode(f, v)
	case <-ctx.Done():
		return ctx.Err()
	}
}
