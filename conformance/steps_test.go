package conformance_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/surgews/surge/frame"
)

// step is one action or expectation of a case, run by the peer in order.
// It returns an error when surge does not behave as expected.
type step func(p *peer) error

// quietWindow is how long "surge sends nothing" is watched for.
const quietWindow = 100 * time.Millisecond

// eofAfterHandshake bounds how soon a server closes TCP once both close
// frames were exchanged; well under the suites' CloseTimeout, so that a
// server waiting for its timeout instead is caught.
const eofAfterHandshake = time.Second

// failFastWindow bounds how long a fail-fast close may take once the
// offending bytes are sent; generous, because the point is that it comes
// without the rest of the message, not how soon.
const failFastWindow = 2 * time.Second

// send writes frames, in one write per send unless the variant chops.
func send(fs ...wframe) step {
	return func(p *peer) error {
		var b []byte
		for _, f := range fs {
			b = append(b, p.encode(f)...)
		}
		p.send(b)
		for _, f := range fs {
			if f.op == frame.OpClose && !p.sentClose {
				code, _, err := frame.ParseClose(f.payload)
				p.peerFramed = f.fin && f.rsv == 0 && len(f.payload) <= frame.MaxControlPayload
				p.peerValid = p.peerFramed && err == nil
				if err != nil {
					code = 0
				}
				p.noteClose(false, code)
			}
		}
		return nil
	}
}

// sendEach writes frames one write (or chop series) each.
func sendEach(fs ...wframe) step {
	return func(p *peer) error {
		for _, f := range fs {
			if err := send(f)(p); err != nil {
				return err
			}
		}
		return nil
	}
}

// sendFramePart writes payload bytes [from, to) of f, with its header when
// from is 0: one frame delivered in several parts.
func sendFramePart(f wframe, from, to int) step {
	return func(p *peer) error {
		b := p.encode(f)
		hdr := len(b) - len(f.payload)
		start := hdr + from
		if from == 0 {
			start = 0
		}
		p.send(b[start : hdr+to])
		return nil
	}
}

// pause waits until everything queued is written, then sleeps d.
func pause(d time.Duration) step {
	return func(p *peer) error {
		p.flush()
		time.Sleep(d)
		return nil
	}
}

// quiet checks that surge sends nothing for quietWindow once the queued
// bytes are written (an unsolicited pong is ignored, a first fragment is
// accepted, ...).
func quiet() step {
	return func(p *peer) error {
		p.flush()
		h, pl, err := p.readFrame(quietWindow)
		if err == nil {
			return fmt.Errorf("expected nothing, got %s", describe(h, pl))
		}
		if isTimeout(err) {
			return nil
		}
		return fmt.Errorf("expected nothing, got error %v", err)
	}
}

// expectMsg expects the echo of a message.
func expectMsg(op frame.Opcode, payload []byte) step {
	return expectMsgWithin(op, payload, readTimeout)
}

func expectMsgWithin(op frame.Opcode, payload []byte, d time.Duration) step {
	return func(p *peer) error {
		h, pl, err := p.readMessage(d)
		if err != nil {
			return fmt.Errorf("expected %v message of %d bytes: %w", op, len(payload), err)
		}
		if h.Op != op || !bytes.Equal(pl, payload) {
			return fmt.Errorf("expected %v message of %d bytes %s, got %s", op, len(payload), short(payload), describe(h, pl))
		}
		return nil
	}
}

// expectText expects the echo of a text message.
func expectText(s string) step { return expectMsg(frame.OpText, []byte(s)) }

// expectPong expects a pong carrying payload (§5.5.3).
func expectPong(payload []byte) step {
	return func(p *peer) error {
		h, pl, err := p.readFrame(readTimeout)
		if err != nil {
			return fmt.Errorf("expected pong %s: %w", short(payload), err)
		}
		if h.Op != frame.OpPong || !h.Fin || !bytes.Equal(pl, payload) {
			return fmt.Errorf("expected pong %s, got %s", short(payload), describe(h, pl))
		}
		return nil
	}
}

// expectClose expects surge's close frame with one of codes (1005 stands
// for an empty close payload) and answers it with a close echoing the code,
// as an endpoint must (§5.5.1), unless the peer already sent its close.
func expectClose(codes ...frame.CloseCode) step { return expectCloseIn(readTimeout, true, codes...) }

// expectFailFast expects surge's close with code within failFastWindow,
// before the peer sends anything more.
func expectFailFast(code frame.CloseCode) step { return expectCloseIn(failFastWindow, true, code) }

func expectCloseIn(d time.Duration, reply bool, codes ...frame.CloseCode) step {
	return func(p *peer) error {
		h, pl, err := p.readFrame(d)
		if err != nil {
			return fmt.Errorf("expected close %v: %w", codes, err)
		}
		if h.Op != frame.OpClose {
			return fmt.Errorf("expected close %v, got %s", codes, describe(h, pl))
		}
		code, _, perr := frame.ParseClose(pl)
		if perr != nil {
			return fmt.Errorf("surge sent a bad close payload %x: %v", pl, perr)
		}
		p.noteClose(true, code)
		if !slices.Contains(codes, code) {
			return fmt.Errorf("expected close %v, got %d", codes, code)
		}
		if reply && !p.sentClose {
			var body []byte
			if code != frame.CloseNoStatus {
				body = frame.AppendClose(nil, code, "")
			}
			return send(wframe{fin: true, op: frame.OpClose, payload: body})(p)
		}
		return nil
	}
}

// closed is the last step of every case: the connection must end cleanly.
// Against a server (the peer is a client) surge must close TCP itself soon
// after the close handshake, with a FIN, not a reset (§7.1.1). Against a
// client (the peer is the server) surge must leave closing TCP to the
// server when the handshake completed normally; the peer then closes.
func closed() step {
	return func(p *peer) error {
		p.flush()
		if p.client {
			if p.closeOK && (p.peerFramed || !p.sentClose) {
				// Both close frames are on the wire: nothing is left to
				// wait for, so a server that waits for a timeout is wrong.
				// (A peer "close" with a bad header is a protocol error
				// like any other: surge may wait for a real close.)
				return p.expectEOF(eofAfterHandshake)
			}
			return p.expectEOF(readTimeout)
		}
		if p.closeOK && !p.surgeFirst && p.peerValid {
			// A normal handshake: the client waits for the server.
			h, pl, err := p.readFrame(quietWindow)
			switch {
			case err == nil:
				return fmt.Errorf("after the close handshake the client sent %s", describe(h, pl))
			case isTimeout(err):
			case errors.Is(err, io.EOF):
				return errors.New("the client closed TCP before the server did (RFC 6455 §7.1.1: the server closes first)")
			default:
				return fmt.Errorf("after the close handshake: %v", err)
			}
			return nil
		}
		if !p.closeOK {
			// The close handshake did not complete on the wire (the peer
			// could not answer): the client must give up on its own.
			return p.expectEOF(readTimeout)
		}
		// The client failed the connection (§7.1.7): it may close TCP at
		// once or wait for the server; it must not send anything more.
		h, pl, err := p.readFrame(quietWindow)
		if err == nil {
			return fmt.Errorf("after the close handshake the client sent %s", describe(h, pl))
		}
		if isReset(err) {
			return errors.New("the client reset the TCP connection")
		}
		return nil
	}
}

// expectEOF reads until the connection ends, which must be an orderly
// end (EOF), not a reset, and come within d; extra frames are errors.
func (p *peer) expectEOF(d time.Duration) error {
	h, pl, err := p.readFrame(d)
	switch {
	case err == nil:
		return fmt.Errorf("expected TCP close, got %s", describe(h, pl))
	case errors.Is(err, io.EOF):
		return nil
	case isTimeout(err):
		return fmt.Errorf("surge did not close TCP within %v", d)
	case isReset(err):
		return errors.New("surge reset the TCP connection instead of closing it")
	}
	return fmt.Errorf("expected TCP close: %v", err)
}

// short renders a payload briefly.
func short(b []byte) string {
	if len(b) <= 24 {
		return fmt.Sprintf("%x", b)
	}
	return fmt.Sprintf("%x…", b[:24])
}

// Frame builders.

func text(s string) wframe   { return wframe{fin: true, op: frame.OpText, payload: []byte(s)} }
func textB(b []byte) wframe  { return wframe{fin: true, op: frame.OpText, payload: b} }
func binMsg(b []byte) wframe { return wframe{fin: true, op: frame.OpBinary, payload: b} }
func ping(b []byte) wframe   { return wframe{fin: true, op: frame.OpPing, payload: b} }
func pong(b []byte) wframe   { return wframe{fin: true, op: frame.OpPong, payload: b} }
func frag(op frame.Opcode, fin bool, b []byte) wframe {
	return wframe{fin: fin, op: op, payload: b}
}
func closeFrame(code frame.CloseCode, reason string) wframe {
	return wframe{fin: true, op: frame.OpClose, payload: frame.AppendClose(nil, code, reason)}
}
func closeRaw(payload []byte) wframe { return wframe{fin: true, op: frame.OpClose, payload: payload} }

// normalClose ends a conversation that went well: the peer closes with
// 1000, surge echoes 1000, the connection ends cleanly.
func normalClose() []step {
	return []step{send(closeFrame(frame.CloseNormal, "")), expectClose(frame.CloseNormal), closed()}
}

// failWith ends a conversation in which surge must fail the connection
// with code: its close arrives, the peer answers, the connection ends.
func failWith(codes ...frame.CloseCode) []step {
	return []step{expectClose(codes...), closed()}
}

// seq joins steps and step lists.
func seq(parts ...any) []step {
	var out []step
	for _, x := range parts {
		switch v := x.(type) {
		case step:
			out = append(out, v)
		case []step:
			out = append(out, v...)
		default:
			panic(fmt.Sprintf("seq: %T", x))
		}
	}
	return out
}

// bytesOf returns n bytes of a repeating pattern, valid UTF-8 (ASCII).
func bytesOf(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = '*'
	}
	return b
}

// binOf returns n bytes covering every byte value.
func binOf(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}
