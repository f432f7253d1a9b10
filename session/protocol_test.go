package session_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

// TestProtocolViolations feeds each RFC 6455 violation to a fresh session and
// checks the RFC answer: Feed's error carries the close code, a close frame
// with that code is written, nothing bad is delivered, and the session ends
// with that reason once the peer's close arrives.
func TestProtocolViolations(t *testing.T) {
	big := bytes.Repeat([]byte{'a'}, 126)
	overflow := []byte{0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4} // 64-bit length with MSB set
	badReason := append(closePayload(frame.CloseNormal, "ok"), 0xff)

	tests := []struct {
		name     string
		role     seam.Role
		cfg      session.Config
		frames   []wf
		raw      []byte // used instead of frames when set
		wantCode frame.CloseCode
		wantMsgs []string // delivered before the violation
		// lost: the stream cannot be framed past the violation (or the
		// rest of the bad frame is too large to skip, or the violation is
		// a malformed close, the peer's last frame), so the transport is
		// closed as soon as our close frame is written.
		lost bool
	}{
		{name: "rsv1 without extension", frames: []wf{{op: frame.OpText, fin: true, rsv: frame.Rsv1, payload: []byte("x")}}, wantCode: frame.CloseProtocolError},
		{name: "rsv2 without extension", frames: []wf{{op: frame.OpBinary, fin: true, rsv: frame.Rsv2, payload: []byte("x")}}, wantCode: frame.CloseProtocolError},
		{name: "rsv3 without extension", frames: []wf{{op: frame.OpBinary, fin: true, rsv: frame.Rsv3}}, wantCode: frame.CloseProtocolError},
		{name: "rsv1 on ping", frames: []wf{{op: frame.OpPing, fin: true, rsv: frame.Rsv1}}, wantCode: frame.CloseProtocolError},
		{name: "rsv on continuation", frames: []wf{frag(frame.OpBinary, false, "a"), {op: frame.OpContinuation, fin: true, rsv: frame.Rsv2, payload: []byte("b")}}, wantCode: frame.CloseProtocolError},
		{name: "reserved data opcode 0x3", frames: []wf{msg(3, "x")}, wantCode: frame.CloseProtocolError},
		{name: "reserved data opcode 0x7", frames: []wf{msg(7, "")}, wantCode: frame.CloseProtocolError},
		{name: "reserved control opcode 0xB", frames: []wf{msg(0xB, "x")}, wantCode: frame.CloseProtocolError},
		{name: "reserved control opcode 0xF", frames: []wf{msg(0xF, "")}, wantCode: frame.CloseProtocolError},
		{name: "ping over 125 bytes", frames: []wf{{op: frame.OpPing, fin: true, payload: big}}, wantCode: frame.CloseProtocolError},
		{name: "pong over 125 bytes", frames: []wf{{op: frame.OpPong, fin: true, payload: big}}, wantCode: frame.CloseProtocolError},
		{name: "close over 125 bytes", frames: []wf{{op: frame.OpClose, fin: true, payload: big}}, wantCode: frame.CloseProtocolError, lost: true},
		{name: "fragmented ping", frames: []wf{frag(frame.OpPing, false, "p")}, wantCode: frame.CloseProtocolError},
		{name: "fragmented close", frames: []wf{frag(frame.OpClose, false, "")}, wantCode: frame.CloseProtocolError, lost: true},
		{name: "unmasked client frame to server", frames: []wf{{op: frame.OpText, fin: true, payload: []byte("hi"), unmasked: true}}, wantCode: frame.CloseProtocolError},
		{name: "unmasked ping to server", frames: []wf{{op: frame.OpPing, fin: true, unmasked: true}}, wantCode: frame.CloseProtocolError},
		{name: "masked server frame to client", role: seam.Client, frames: []wf{{op: frame.OpText, fin: true, payload: []byte("hi"), masked: true}}, wantCode: frame.CloseProtocolError},
		{name: "continuation without message", frames: []wf{frag(frame.OpContinuation, true, "x")}, wantCode: frame.CloseProtocolError},
		{name: "continuation after final frame", frames: []wf{msg(frame.OpText, "a"), frag(frame.OpContinuation, true, "b")}, wantCode: frame.CloseProtocolError, wantMsgs: []string{"t:a"}},
		{name: "text inside fragmented message", frames: []wf{frag(frame.OpText, false, "a"), frag(frame.OpText, true, "b")}, wantCode: frame.CloseProtocolError},
		{name: "binary inside fragmented text", frames: []wf{frag(frame.OpText, false, "a"), frag(frame.OpBinary, true, "b")}, wantCode: frame.CloseProtocolError},
		{name: "invalid utf8 byte", frames: []wf{msg(frame.OpText, "ok\xff")}, wantCode: frame.CloseInvalidPayload},
		{name: "utf8 surrogate", frames: []wf{msg(frame.OpText, "\xed\xa0\x80")}, wantCode: frame.CloseInvalidPayload},
		{name: "utf8 overlong", frames: []wf{msg(frame.OpText, "\xc0\xaf")}, wantCode: frame.CloseInvalidPayload},
		{name: "utf8 above U+10FFFF", frames: []wf{msg(frame.OpText, "\xf4\x90\x80\x80")}, wantCode: frame.CloseInvalidPayload},
		{name: "text ends inside a character", frames: []wf{msg(frame.OpText, "a\xe2\x82")}, wantCode: frame.CloseInvalidPayload},
		{name: "fragmented text ends inside a character", frames: []wf{frag(frame.OpText, false, "a\xe2\x82"), frag(frame.OpContinuation, true, "")}, wantCode: frame.CloseInvalidPayload},
		{name: "invalid utf8 on client", role: seam.Client, frames: []wf{msg(frame.OpText, "\xff")}, wantCode: frame.CloseInvalidPayload},
		{name: "close payload of one byte", frames: []wf{closeFrame([]byte{0x03})}, wantCode: frame.CloseProtocolError, lost: true},
		{name: "close code 999", frames: []wf{closeFrame(closePayload(999, ""))}, wantCode: frame.CloseProtocolError, lost: true},
		{name: "close code 1004", frames: []wf{closeFrame(closePayload(1004, ""))}, wantCode: frame.CloseProtocolError, lost: true},
		{name: "close code 1005 on the wire", frames: []wf{closeFrame([]byte{0x03, 0xED})}, wantCode: frame.CloseProtocolError, lost: true},
		{name: "close code 1006 on the wire", frames: []wf{closeFrame([]byte{0x03, 0xEE})}, wantCode: frame.CloseProtocolError, lost: true},
		{name: "close code 1015 on the wire", frames: []wf{closeFrame([]byte{0x03, 0xF7})}, wantCode: frame.CloseProtocolError, lost: true},
		{name: "close code 2999", frames: []wf{closeFrame(closePayload(2999, ""))}, wantCode: frame.CloseProtocolError, lost: true},
		{name: "close code 5000", frames: []wf{closeFrame(closePayload(5000, ""))}, wantCode: frame.CloseProtocolError, lost: true},
		{name: "close reason not utf8", frames: []wf{closeFrame(badReason)}, wantCode: frame.CloseInvalidPayload, lost: true},
		{name: "frame over MaxFrameSize", cfg: session.Config{MaxFrameSize: 16}, frames: []wf{msg(frame.OpBinary, "0123456789abcdefg")}, wantCode: frame.CloseMessageTooBig},
		{name: "fragment over MaxFrameSize", cfg: session.Config{MaxFrameSize: 4}, frames: []wf{frag(frame.OpBinary, false, "abcd"), frag(frame.OpContinuation, true, "abcde")}, wantCode: frame.CloseMessageTooBig},
		{name: "message over MaxMessageSize", cfg: session.Config{MaxMessageSize: 16}, frames: []wf{msg(frame.OpBinary, "0123456789abcdefg")}, wantCode: frame.CloseMessageTooBig},
		{name: "joined message over MaxMessageSize", cfg: session.Config{MaxMessageSize: 16}, frames: []wf{frag(frame.OpText, false, "0123456789"), frag(frame.OpContinuation, false, "012345"), frag(frame.OpContinuation, true, "x")}, wantCode: frame.CloseMessageTooBig},
		{name: "header claims a terabyte", frames: []wf{{op: frame.OpBinary, fin: true, length: 1 << 40}}, wantCode: frame.CloseMessageTooBig, lost: true},
		{name: "64-bit length with MSB set", raw: overflow, wantCode: frame.CloseProtocolError, lost: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ep, d, rec := newEventSession(t, tt.cfg, tt.role)
			in := tt.raw
			if in == nil {
				in = encodeFrom(tt.role, tt.frames...)
			}
			err := ep.Feed(in)
			if err == nil {
				t.Fatal("Feed accepted the violation")
			}
			if got := closeCode(err); got != tt.wantCode {
				t.Fatalf("Feed error %v carries code %d, want %d", err, got, tt.wantCode)
			}
			if got := rec.messages(); !slices.Equal(got, tt.wantMsgs) {
				t.Fatalf("delivered %q, want %q", got, tt.wantMsgs)
			}
			fs := d.frames(t)
			if len(fs) != 1 || fs[0].Op != frame.OpClose {
				t.Fatalf("wrote %d frames %v, want one close frame", len(fs), fs)
			}
			code, _, perr := frame.ParseClose(fs[0].Payload)
			if perr != nil || code != tt.wantCode {
				t.Fatalf("close frame code %d (%v), want %d", code, perr, tt.wantCode)
			}
			if fs[0].Masked != (tt.role == seam.Client) {
				t.Fatalf("close frame masked=%v for role %v", fs[0].Masked, tt.role)
			}
			if r := s.CloseReason(); r.Code != tt.wantCode {
				t.Fatalf("CloseReason %v, want code %d", r, tt.wantCode)
			}
			if !errors.Is(s.Err(), err) {
				t.Fatalf("Err() = %v, want %v", s.Err(), err)
			}
			if tt.lost {
				// Our close frame still goes out first.
				wantTransportClosed(t, d, true, "framing lost")
				ep.Closed(io.EOF)
				return
			}
			// After failing, the session skips everything but the peer's
			// close, which ends the handshake.
			if d.closeCount() != 0 {
				t.Fatal("transport closed before the peer's close or the timeout")
			}
			tail := encodeFrom(tt.role, msg(frame.OpText, "late"), wf{op: frame.OpPing, fin: true, payload: []byte("p")},
				closeFrame(closePayload(frame.CloseNormal, "")))
			_ = ep.Feed(tail)
			if len(d.frames(t)) != 1 {
				t.Fatal("session wrote after failing (pong or second close)")
			}
			if tt.role == seam.Server {
				wantTransportClosed(t, d, true, "server, after the peer's close")
			}
			if tt.role == seam.Client {
				ep.Timer() // the server did not drop TCP in time
				wantTransportClosed(t, d, true, "client, after the peer's close and the timeout")
			}
			ep.Closed(io.EOF)
			if got := rec.kinds(); len(got) < 3 || got[0] != "open" || !slices.Equal(got[len(got)-2:], []string{"error", "close"}) {
				t.Fatalf("events %v, want open … error, close", got)
			}
			if got := rec.messages(); !slices.Equal(got, tt.wantMsgs) {
				t.Fatalf("delivered after failing: %q", got)
			}
			if r := s.CloseReason(); r.Code != tt.wantCode {
				t.Fatalf("final CloseReason %v, want %d", r, tt.wantCode)
			}
		})
	}
}

// TestFailedSessionTimeout: a peer that never answers our failure close is
// dropped when the timer fires.
func TestFailedSessionTimeout(t *testing.T) {
	s, ep, d, rec := newEventSession(t, session.Config{}, seam.Server)
	if err := ep.Feed(encodeFrom(seam.Server, msg(frame.OpText, "\xff"))); err == nil {
		t.Fatal("invalid UTF-8 accepted")
	}
	if got := d.lastTimer(); got != defaultTimeout {
		t.Fatalf("close timer %v, want %v", got, defaultTimeout)
	}
	ep.Timer()
	wantTransportClosed(t, d, false, "at the close timeout")
	ep.Closed(nil)
	waitClosed(t, rec.closed, "OnClose")
	if s.CloseReason().Code != frame.CloseInvalidPayload {
		t.Fatalf("CloseReason %v", s.CloseReason())
	}
}

// TestUTF8FailFast: an invalid byte fails the connection with 1007 as soon as
// it arrives, in the middle of a fragmented message and in the middle of one
// frame's payload, without waiting for the message's end (RFC 6455 §8.1).
func TestUTF8FailFast(t *testing.T) {
	t.Run("first fragment", func(t *testing.T) {
		_, ep, d, rec := newEventSession(t, session.Config{}, seam.Server)
		err := ep.Feed(encodeFrom(seam.Server, frag(frame.OpText, false, "fine \xff")))
		if closeCode(err) != frame.CloseInvalidPayload {
			t.Fatalf("first fragment: Feed = %v, want 1007 before the final fragment", err)
		}
		if fs := d.frames(t); len(fs) != 1 || fs[0].Op != frame.OpClose {
			t.Fatalf("wrote %v, want a close frame", fs)
		}
		if len(rec.messages()) != 0 {
			t.Fatal("message delivered")
		}
	})
	t.Run("middle fragment", func(t *testing.T) {
		_, ep, _, _ := newEventSession(t, session.Config{}, seam.Server)
		if err := ep.Feed(encodeFrom(seam.Server, frag(frame.OpText, false, "ok \xe2"))); err != nil {
			t.Fatalf("valid prefix rejected: %v", err)
		}
		err := ep.Feed(encodeFrom(seam.Server, frag(frame.OpContinuation, false, "\x82\xff")))
		if closeCode(err) != frame.CloseInvalidPayload {
			t.Fatalf("Feed = %v, want 1007", err)
		}
	})
	t.Run("inside one frame", func(t *testing.T) {
		_, ep, d, _ := newEventSession(t, session.Config{}, seam.Server)
		p := append(bytes.Repeat([]byte("x"), 100), 0xff)
		p = append(p, bytes.Repeat([]byte("y"), 1000)...)
		in := encodeFrom(seam.Server, wf{op: frame.OpText, fin: true, payload: p})
		cut := len(in) - 1000 // through the bad byte, well before the frame's end
		err := ep.Feed(in[:cut])
		if closeCode(err) != frame.CloseInvalidPayload {
			t.Fatalf("Feed of a partial frame = %v, want 1007", err)
		}
		if fs := d.frames(t); len(fs) != 1 || fs[0].Op != frame.OpClose {
			t.Fatalf("wrote %v, want a close frame", fs)
		}
		// The rest of the bad frame is skipped by its length, so the
		// peer's close after it is still understood.
		rest := append(in[cut:], encodeFrom(seam.Server, closeFrame(closePayload(frame.CloseNormal, "")))...)
		_ = ep.Feed(rest)
		wantTransportClosed(t, d, true, "after the peer's close")
		if len(d.frames(t)) != 1 {
			t.Fatalf("after the peer's close: %d frames, want our close alone", len(d.frames(t)))
		}
	})
	t.Run("valid character split over fragments", func(t *testing.T) {
		_, ep, _, rec := newEventSession(t, session.Config{}, seam.Server)
		in := encodeFrom(seam.Server, frag(frame.OpText, false, "€"[:1]), frag(frame.OpContinuation, false, "€"[1:2]),
			frag(frame.OpContinuation, true, "€"[2:]+"!"))
		if err := ep.Feed(in); err != nil {
			t.Fatalf("valid split text rejected: %v", err)
		}
		if got := rec.messages(); !slices.Equal(got, []string{"t:€!"}) {
			t.Fatalf("delivered %q", got)
		}
	})
}

// TestClientAcceptsMaskedWithMasking: Config.Masking lets a client accept
// frames from a server that masks (Ktor's masking option).
func TestClientAcceptsMaskedWithMasking(t *testing.T) {
	_, ep, _, rec := newEventSession(t, session.Config{Masking: true}, seam.Client)
	in := encodeFrom(seam.Client, wf{op: frame.OpText, fin: true, payload: []byte("masked"), masked: true}, msg(frame.OpBinary, "plain"))
	if err := ep.Feed(in); err != nil {
		t.Fatalf("Feed: %v", err)
	}
	if got, want := rec.messages(), []string{"t:masked", "b:plain"}; !slices.Equal(got, want) {
		t.Fatalf("delivered %q, want %q", got, want)
	}
}

// TestEmptyMessages: zero-length text, binary and fragmented messages are
// delivered, as are empty fragments.
func TestEmptyMessages(t *testing.T) {
	for _, role := range roles {
		_, ep, _, rec := newEventSession(t, session.Config{}, role)
		in := encodeFrom(role, msg(frame.OpText, ""), msg(frame.OpBinary, ""),
			frag(frame.OpText, false, ""), frag(frame.OpContinuation, false, ""), frag(frame.OpContinuation, true, ""),
			frag(frame.OpBinary, false, ""), frag(frame.OpContinuation, true, "z"))
		if err := ep.Feed(in); err != nil {
			t.Fatalf("role %v: %v", role, err)
		}
		if got, want := rec.messages(), []string{"t:", "b:", "t:", "b:z"}; !slices.Equal(got, want) {
			t.Fatalf("role %v: delivered %q, want %q", role, got, want)
		}
	}
}

// TestOversizeCloseReadWhole: the peer's close frame that is too long for a
// control frame is still its last, but the transport closes only once that
// frame's payload has been read (skipped). Closing with the peer's bytes in
// flight makes the kernel answer them with an RST, which can destroy our
// close frame before the peer reads it (Autobahn 7.3.6 with the frame sent
// a few bytes at a time).
func TestOversizeCloseReadWhole(t *testing.T) {
	reason := strings.Repeat("r", 124)
	in := encodeFrom(seam.Server, closeFrame(append([]byte{0x03, 0xe8}, reason...)))
	for _, cut := range []int{2, 7, 8, 40, len(in) - 1} {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			d := newMemDriver()
			_, ep := newSession(t, session.Config{}, session.NopHandler{}, seam.Server, d, nil)
			_ = ep.Feed(in[:cut])
			if cut >= 8 { // the header (2 + 2 + 4 bytes) is whole: the violation is known
				if fs := d.frames(t); len(fs) != 1 || fs[0].Op != frame.OpClose {
					t.Fatalf("wrote %d frames, want our close", len(fs))
				}
			}
			if n := d.closeCount(); n != 0 {
				t.Fatalf("transport closed with %d bytes of the peer's close frame unread", len(in)-cut)
			}
			_ = ep.Feed(in[cut:])
			wantTransportClosed(t, d, true, "the bad close read whole")
			fs := d.frames(t)
			if len(fs) != 1 {
				t.Fatalf("wrote %d frames, want one close", len(fs))
			}
			if code, _, _ := frame.ParseClose(fs[0].Payload); code != frame.CloseProtocolError {
				t.Fatalf("close code %d, want 1002", code)
			}
			ep.Closed(io.EOF)
		})
	}
}
