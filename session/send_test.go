package session_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

// TestSendWireFormat: what Send writes decodes to the frame given, unmasked
// from a server, masked from a client, and the caller's bytes are untouched.
func TestSendWireFormat(t *testing.T) {
	p125 := bytes.Repeat([]byte{'p'}, 125)
	p300 := bytes.Repeat([]byte{0xAB}, 300)
	p70k := bytes.Repeat([]byte{0x5A}, 70000)
	tests := []struct {
		name   string
		f      func() session.Frame
		op     frame.Opcode
		fin    bool
		rsv    byte
		want   []byte
		pooled bool // the payload is a pooled copy, back in the pool after Send
	}{
		{name: "copy text", f: func() session.Frame { return session.CopyText("héllo") }, op: frame.OpText, fin: true, want: []byte("héllo"), pooled: true},
		{name: "copy binary", f: func() session.Frame { return session.CopyBinary(p300) }, op: frame.OpBinary, fin: true, want: p300, pooled: true},
		{name: "borrow text", f: func() session.Frame { return session.BorrowText([]byte("borrowed")) }, op: frame.OpText, fin: true, want: []byte("borrowed")},
		{name: "empty binary", f: func() session.Frame { return session.BorrowBinary(nil) }, op: frame.OpBinary, fin: true, want: nil},
		{name: "binary 16-bit length", f: func() session.Frame { return session.BorrowBinary(p300) }, op: frame.OpBinary, fin: true, want: p300},
		{name: "binary 64-bit length", f: func() session.Frame { return session.BorrowBinary(p70k) }, op: frame.OpBinary, fin: true, want: p70k},
		{name: "ping 125", f: func() session.Frame { return control(frame.OpPing, p125) }, op: frame.OpPing, fin: true, want: p125},
		{name: "pong", f: func() session.Frame { return control(frame.OpPong, []byte("p")) }, op: frame.OpPong, fin: true, want: []byte("p")},
		{name: "first fragment", f: func() session.Frame {
			return session.Frame{Op: frame.OpBinary, Payload: []byte("first")}
		}, op: frame.OpBinary, fin: false, want: []byte("first")},
		{name: "close", f: func() session.Frame { return closeMsg(4001, "app") }, op: frame.OpClose, fin: true, want: closePayload(4001, "app")},
		{name: "close without status", f: func() session.Frame { return control(frame.OpClose, nil) }, op: frame.OpClose, fin: true, want: nil},
	}
	for _, role := range roles {
		for _, tt := range tests {
			t.Run(roleName(role)+"/"+tt.name, func(t *testing.T) {
				s, _, d, _ := newEventSession(t, session.Config{}, role)
				f := tt.f()
				orig := bytes.Clone(f.Payload)
				payload := f.Payload
				if err := s.Send(context.Background(), f); err != nil {
					t.Fatalf("Send: %v", err)
				}
				// A pooled payload is back in the pool; the others borrow
				// the caller's slice, which must be intact.
				if !tt.pooled && !bytes.Equal(payload, orig) {
					t.Fatal("Send modified the caller's payload")
				}
				fs := d.frames(t)
				if len(fs) != 1 {
					t.Fatalf("wrote %d frames", len(fs))
				}
				g := fs[0]
				if g.Op != tt.op || g.Fin != tt.fin || g.Rsv != tt.rsv || !bytes.Equal(g.Payload, tt.want) {
					t.Fatalf("wrote %v fin=%v rsv=%#x len=%d, want %v fin=%v rsv=%#x len=%d",
						g.Op, g.Fin, g.Rsv, len(g.Payload), tt.op, tt.fin, tt.rsv, len(tt.want))
				}
				if g.Masked != (role == seam.Client) {
					t.Fatalf("masked=%v for role %v", g.Masked, role)
				}
				hlen := len(d.bytes()) - len(tt.want)
				if hlen != g.Header.Size() {
					t.Fatalf("header of %d bytes, want the minimal %d", hlen, g.Header.Size())
				}
			})
		}
	}
}

// TestClientMasks: a client masks every frame with a fresh key (RFC 6455
// §5.3), and the masked bytes on the wire differ from the payload.
func TestClientMasks(t *testing.T) {
	s, _, d, _ := newEventSession(t, session.Config{}, seam.Client)
	payload := []byte("a payload long enough to see the mask at work")
	for i := 0; i < 16; i++ {
		if err := s.Send(context.Background(), session.BorrowBinary(payload)); err != nil {
			t.Fatal(err)
		}
	}
	wire := d.bytes()
	if bytes.Contains(wire, payload) {
		t.Fatal("payload found in clear on the wire")
	}
	keys := map[[4]byte]bool{}
	for _, f := range parseWire(t, wire) {
		if !f.Masked || !bytes.Equal(f.Payload, payload) {
			t.Fatalf("frame masked=%v payload %q", f.Masked, f.Payload)
		}
		keys[f.Key] = true
	}
	if len(keys) < 2 {
		t.Fatal("the same masking key for 16 frames")
	}
	if !s.Masking() {
		t.Fatal("client Masking() = false")
	}
}

// TestServerMaskingOption: a server masks when Config.Masking or SetMasking
// asks it to.
func TestServerMaskingOption(t *testing.T) {
	s, _, d, _ := newEventSession(t, session.Config{Masking: true}, seam.Server)
	_ = s.Send(context.Background(), session.BorrowBinary([]byte("m")))
	s.SetMasking(false)
	_ = s.Send(context.Background(), session.BorrowBinary([]byte("u")))
	fs := d.frames(t)
	if len(fs) != 2 || !fs[0].Masked || fs[1].Masked {
		t.Fatalf("frames %+v: want masked then unmasked", fs)
	}
}

// TestSendRefuses: Send refuses with ErrInvalidFrame, wrapped with the cause
// of the check that failed, a frame the peer would have to reject (RFC 6455
// §5) or that may hold someone else's bytes. Nothing is written, and the
// session stays open and usable: a fragmented message open before the
// refusal can still be finished.
func TestSendRefuses(t *testing.T) {
	for _, role := range roles {
		// Each run gets frames of its own: Send takes a pooled one.
		for _, tt := range sendRefusals() {
			t.Run(roleName(role)+"/"+tt.name, func(t *testing.T) {
				var s *session.Session
				var d *memDriver
				if tt.ext {
					s, _, d, _ = newExtSession(t, role)
				} else {
					s, _, d, _ = newEventSession(t, session.Config{}, role)
				}
				ctx := context.Background()
				if tt.open {
					if err := s.Send(ctx, session.Frame{Op: frame.OpText, Payload: []byte("open")}); err != nil {
						t.Fatalf("first fragment: %v", err)
					}
				}
				before := d.bytes()
				err := s.Send(ctx, tt.f)
				if !errors.Is(err, session.ErrInvalidFrame) || err != tt.cause {
					t.Fatalf("Send = %v, want ErrInvalidFrame because %v", err, tt.cause)
				}
				if got := d.bytes(); !bytes.Equal(got, before) {
					t.Fatalf("a refused frame was written: % x", got[len(before):])
				}
				if d.closeCount() != 0 || s.CloseReason() != (session.CloseReason{}) || s.Err() != nil {
					t.Fatalf("the refusal ended the session: CloseTransport %d, CloseReason %v, Err %v", d.closeCount(), s.CloseReason(), s.Err())
				}
				select {
				case <-s.Done():
					t.Fatal("Done closed by a refused frame")
				default:
				}
				// Still usable: the open message is finished, or a new
				// one is sent ("ok" is below reverseExt's minimum, so
				// it goes plain).
				next, op := session.BorrowText([]byte("ok")), frame.OpText
				if tt.open {
					next, op = session.Frame{Fin: true, Op: frame.OpContinuation, Payload: []byte("ok")}, frame.OpContinuation
				}
				if err := s.Send(ctx, next); err != nil {
					t.Fatalf("Send after the refusal: %v", err)
				}
				fs := parseWire(t, d.bytes()[len(before):])
				if len(fs) != 1 || fs[0].Op != op || !fs[0].Fin || fs[0].Rsv != 0 || string(fs[0].Payload) != "ok" {
					t.Fatalf("after the refusal wrote %+v, want one final %v \"ok\"", fs, op)
				}
			})
		}
	}
}

// TestSendRefusesOverBacklog: a frame Send must refuse is refused at once
// with ErrInvalidFrame even when the backlog is over its limit, whatever the
// Backpressure policy: it neither waits for the backlog, nor is dropped with
// ErrBacklogFull, nor closes the session.
func TestSendRefusesOverBacklog(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  session.Config
	}{
		{name: "wait", cfg: session.Config{Backlog: 1024}},
		{name: "drop", cfg: session.Config{Backlog: 1024, Backpressure: session.BackpressureDrop}},
		{name: "close", cfg: session.Config{Backlog: 1024, Backpressure: session.BackpressureClose}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, _, d := newWaitingSession(t, tt.cfg)
			fillBacklog(t, s, d, 2000)
			before := session.Backlog(s)
			refused := make(chan error, 1)
			go func() { refused <- s.Send(context.Background(), session.Frame{}) }()
			select {
			case err := <-refused:
				if err != session.InvalidFragmentOrder {
					t.Fatalf("Send(zero Frame) over the backlog = %v, want ErrInvalidFrame for the order", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Send of a frame it must refuse waited on the backlog")
			}
			if r := s.CloseReason(); r != (session.CloseReason{}) || session.Backlog(s) != before {
				t.Fatalf("the refusal changed the session: CloseReason %v, backlog %d (was %d)", r, session.Backlog(s), before)
			}
		})
	}
}

// sendRefusal is a frame Send must refuse, with the cause it must give.
type sendRefusal struct {
	name  string
	ext   bool // the session negotiated reverseExt, which owns RSV1
	open  bool // a fragmented text message is open
	f     session.Frame
	cause error
}

// sendRefusals returns the cases of TestSendRefuses, with frames made anew.
func sendRefusals() []sendRefusal {
	withRsv := func(f session.Frame, rsv1, rsv2, rsv3 bool) session.Frame {
		f.Rsv1, f.Rsv2, f.Rsv3 = rsv1, rsv2, rsv3
		return f
	}
	big := make([]byte, 126)
	return []sendRefusal{
		// Fragment order (§5.4).
		{name: "zero frame", f: session.Frame{}, cause: session.InvalidFragmentOrder},
		{name: "final continuation without a message", f: session.Frame{Fin: true, Op: frame.OpContinuation, Payload: []byte("x")}, cause: session.InvalidFragmentOrder},
		{name: "continuation without a message", f: session.Frame{Op: frame.OpContinuation, Payload: []byte("x")}, cause: session.InvalidFragmentOrder},
		{name: "text inside a fragmented message", open: true, f: session.BorrowText([]byte("new")), cause: session.InvalidFragmentOrder},
		{name: "binary inside a fragmented message", open: true, f: session.CopyBinary([]byte("new")), cause: session.InvalidFragmentOrder},
		{name: "first fragment inside a fragmented message", open: true, f: session.Frame{Op: frame.OpBinary, Payload: []byte("new")}, cause: session.InvalidFragmentOrder},
		// Control frames are never fragmented (§5.5).
		{name: "ping without Fin", f: session.Frame{Op: frame.OpPing}, cause: session.InvalidControlFragment},
		{name: "pong without Fin", f: session.Frame{Op: frame.OpPong, Payload: []byte("p")}, cause: session.InvalidControlFragment},
		{name: "close without Fin", f: session.Frame{Op: frame.OpClose, Payload: closePayload(frame.CloseNormal, "")}, cause: session.InvalidControlFragment},
		{name: "ping without Fin inside a fragmented message", open: true, f: session.Frame{Op: frame.OpPing}, cause: session.InvalidControlFragment},
		// RSV bits (§5.2): never on control frames or continuations, and on
		// a message's first frame only those a negotiated extension owns.
		{name: "rsv1 on ping", ext: true, f: withRsv(control(frame.OpPing, nil), true, false, false), cause: session.InvalidReservedBits},
		{name: "rsv2 on pong", f: withRsv(control(frame.OpPong, nil), false, true, false), cause: session.InvalidReservedBits},
		{name: "rsv3 on close", f: withRsv(closeMsg(frame.CloseNormal, ""), false, false, true), cause: session.InvalidReservedBits},
		{name: "rsv1 on continuation", ext: true, open: true, f: withRsv(session.Frame{Fin: true, Op: frame.OpContinuation, Payload: []byte("x")}, true, false, false), cause: session.InvalidReservedBits},
		{name: "rsv1 without extension", f: withRsv(session.BorrowText([]byte("x")), true, false, false), cause: session.InvalidReservedBits},
		{name: "rsv2 without extension", f: withRsv(session.BorrowBinary([]byte("x")), false, true, false), cause: session.InvalidReservedBits},
		{name: "rsv3 without extension", f: withRsv(session.CopyBinary([]byte("x")), false, false, true), cause: session.InvalidReservedBits},
		{name: "rsv2 the extension does not own", ext: true, f: withRsv(session.BorrowBinary([]byte("x")), false, true, false), cause: session.InvalidReservedBits},
		{name: "rsv1 owned with rsv3 not", ext: true, f: withRsv(session.BorrowBinary([]byte("x")), true, false, true), cause: session.InvalidReservedBits},
		{name: "rsv1 on a first fragment without extension", f: withRsv(session.Frame{Op: frame.OpText, Payload: []byte("x")}, true, false, false), cause: session.InvalidReservedBits},
		// Close payloads (§5.5.1, §7.4).
		{name: "close payload of one byte", f: control(frame.OpClose, []byte{0x03}), cause: session.InvalidCloseReason},
		{name: "close code 999", f: closeMsg(999, ""), cause: session.InvalidCloseReason},
		{name: "close code 1004", f: closeMsg(1004, ""), cause: session.InvalidCloseReason},
		{name: "close code 1005 on the wire", f: control(frame.OpClose, []byte{0x03, 0xED}), cause: session.InvalidCloseReason},
		{name: "close code 1006", f: closeMsg(frame.CloseAbnormal, "gone"), cause: session.InvalidCloseReason},
		{name: "close code 1015", f: closeMsg(frame.CloseTLSHandshake, ""), cause: session.InvalidCloseReason},
		{name: "close code 2999", f: closeMsg(2999, ""), cause: session.InvalidCloseReason},
		{name: "close code 5000", f: closeMsg(5000, ""), cause: session.InvalidCloseReason},
		{name: "close reason not utf8", f: control(frame.OpClose, append(closePayload(frame.CloseNormal, "ok"), 0xff)), cause: session.InvalidCloseReason},
		{name: "close over 125 bytes", f: control(frame.OpClose, append(closePayload(frame.CloseNormal, ""), big[:124]...)), cause: session.InvalidControlTooLong},
		// Control payloads (§5.5) and opcodes (§5.2).
		{name: "ping over 125", f: control(frame.OpPing, big), cause: session.InvalidControlTooLong},
		{name: "pong over 125", f: control(frame.OpPong, big), cause: session.InvalidControlTooLong},
		{name: "reserved opcode", f: session.Frame{Fin: true, Op: 3}, cause: session.InvalidOpcode},
		{name: "reserved control opcode", f: session.Frame{Fin: true, Op: 0xB}, cause: session.InvalidOpcode},
		// A pooled frame whose buffer went back to the pool.
		{name: "released frame", f: released(session.CopyText("gone")), cause: session.InvalidReleased},
		{name: "released frame inside a fragmented message", open: true, f: released(clone(session.Frame{Fin: true, Op: frame.OpContinuation})), cause: session.InvalidReleased},
	}
}

// released returns a copy of f after releasing f, as a frame kept after a
// Send would be.
func released(f session.Frame) session.Frame {
	c := f
	f.Release()
	return c
}

// clone returns f.Clone(): a pooled copy of f.
func clone(f session.Frame) session.Frame { return f.Clone() }

// TestSendFragments: a fragmented message goes out as given, with control
// frames between its fragments, and a conforming peer joins it; once its
// final fragment is out, a new message may start and a continuation is
// refused again.
func TestSendFragments(t *testing.T) {
	for _, role := range roles {
		t.Run(roleName(role), func(t *testing.T) {
			s, _, d, _ := newEventSession(t, session.Config{}, role)
			ctx := context.Background()
			for i, f := range []session.Frame{
				{Op: frame.OpText, Payload: []byte("Hel")},
				control(frame.OpPing, []byte("p")),
				{Op: frame.OpContinuation, Payload: []byte("lo, ")},
				control(frame.OpPong, nil),
				{Op: frame.OpContinuation},
				{Fin: true, Op: frame.OpContinuation, Payload: []byte("world")},
				session.BorrowBinary([]byte("next")),
				{Op: frame.OpBinary, Payload: []byte("a")},
				{Fin: true, Op: frame.OpContinuation, Payload: []byte("b")},
			} {
				if err := s.Send(ctx, f); err != nil {
					t.Fatalf("Send %d (%v fin=%v): %v", i, f.Op, f.Fin, err)
				}
			}
			if err := s.Send(ctx, session.Frame{Fin: true, Op: frame.OpContinuation}); err != session.InvalidFragmentOrder {
				t.Fatalf("continuation after the message ended: %v, want ErrInvalidFrame for the order", err)
			}
			var got []string
			for _, f := range d.frames(t) {
				got = append(got, fmt.Sprintf("%v/%v:%s", f.Op, f.Fin, f.Payload))
			}
			want := []string{"text/false:Hel", "ping/true:p", "continuation/false:lo, ", "pong/true:",
				"continuation/false:", "continuation/true:world", "binary/true:next", "binary/false:a", "continuation/true:b"}
			if !slices.Equal(got, want) {
				t.Fatalf("wrote %q, want %q", got, want)
			}
			// The peer (the other role) accepts the stream and joins the
			// messages.
			peerRole := seam.Client
			if role == seam.Client {
				peerRole = seam.Server
			}
			_, pep, pd, prec := newEventSession(t, session.Config{}, peerRole)
			if err := pep.Feed(d.bytes()); err != nil {
				t.Fatalf("the peer refused what Send wrote: %v", err)
			}
			if got, want := prec.messages(), []string{"t:Hello, world", "b:next", "b:ab"}; !slices.Equal(got, want) {
				t.Fatalf("the peer got %q, want %q", got, want)
			}
			if fs := pd.frames(t); len(fs) != 1 || fs[0].Op != frame.OpPong || string(fs[0].Payload) != "p" {
				t.Fatalf("the peer wrote %+v, want the pong to our ping", fs)
			}
		})
	}
}

// TestSendTwice: a pooled frame sent twice goes out once; the second Send
// returns ErrInvalidFrame instead of sending a recycled buffer, and leaves
// the session open. A borrowed frame may be sent any number of times.
func TestSendTwice(t *testing.T) {
	p := []byte("once")
	for _, tt := range []struct {
		name   string
		f      session.Frame
		pooled bool
	}{
		{name: "CopyText", f: session.CopyText("once"), pooled: true},
		{name: "CopyBinary", f: session.CopyBinary(p), pooled: true},
		{name: "Clone", f: clone(session.BorrowBinary(p)), pooled: true},
		{name: "BorrowText", f: session.BorrowText(p)},
		{name: "BorrowBinary", f: session.BorrowBinary(p)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, _, d, _ := newEventSession(t, session.Config{}, seam.Server)
			f := tt.f
			if err := s.Send(context.Background(), f); err != nil {
				t.Fatal(err)
			}
			// Another frame reuses the buffer the first Send gave back.
			other := session.CopyText("someone else's")
			defer other.Release()
			err := s.Send(context.Background(), f)
			want := 2
			if tt.pooled {
				want = 1
				if !errors.Is(err, session.ErrInvalidFrame) || err != session.InvalidReleased {
					t.Fatalf("second Send = %v, want ErrInvalidFrame for a released frame", err)
				}
			} else if err != nil {
				t.Fatalf("second Send of a borrowed frame: %v", err)
			}
			fs := d.frames(t)
			if len(fs) != want {
				t.Fatalf("wrote %d frames, want %d", len(fs), want)
			}
			for _, g := range fs {
				if string(g.Payload) != "once" {
					t.Fatalf("wrote %q, want \"once\"", g.Payload)
				}
			}
			if s.CloseReason() != (session.CloseReason{}) || d.closeCount() != 0 {
				t.Fatal("the refused Send ended the session")
			}
		})
	}
}

// TestSendCloseFrame: sending a close frame is Close: the session closes
// with its code and reason and sends nothing more.
func TestSendCloseFrame(t *testing.T) {
	s, _, d, _ := newEventSession(t, session.Config{}, seam.Server)
	if err := s.Send(context.Background(), closeMsg(4001, "app")); err != nil {
		t.Fatal(err)
	}
	fs := d.frames(t)
	if len(fs) != 1 {
		t.Fatalf("wrote %d frames", len(fs))
	}
	wantClose(t, fs[0], 4001, "app")
	if r := s.CloseReason(); r.Code != 4001 || r.Reason != "app" {
		t.Fatalf("CloseReason %v, want the close sent", r)
	}
	if err := s.Send(context.Background(), session.BorrowText([]byte("late"))); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Send after the close frame = %v, want net.ErrClosed", err)
	}
}

// TestShortWrites: a driver taking a few bytes per write gets the rest on
// Writable, in order, without loss.
func TestShortWrites(t *testing.T) {
	s, ep, d, _ := newEventSession(t, session.Config{}, seam.Server)
	d.chunk = 7
	var want []string
	for i := 0; i < 20; i++ {
		p := bytes.Repeat([]byte{byte('a' + i)}, 10+i*13)
		want = append(want, string(p))
		if err := s.Send(context.Background(), session.BorrowBinary(p)); err != nil {
			t.Fatal(err)
		}
	}
	if d.wantWrites() == 0 {
		t.Fatal("short write without WantWrite")
	}
	for i := 0; d.wantWrites() > i; i++ {
		if i > 10000 {
			t.Fatal("backlog never drained")
		}
		ep.Writable()
	}
	fs := d.frames(t)
	if len(fs) != len(want) {
		t.Fatalf("wrote %d frames, want %d", len(fs), len(want))
	}
	for i, f := range fs {
		if string(f.Payload) != want[i] {
			t.Fatalf("frame %d: %q, want %q", i, f.Payload, want[i])
		}
	}
}

// TestWriteError: a failed write ends the session with that error.
func TestWriteError(t *testing.T) {
	s, ep, d, rec := newEventSession(t, session.Config{}, seam.Server)
	boom := errors.New("broken pipe")
	d.writeErr = boom
	if err := s.Send(context.Background(), session.BorrowBinary([]byte("x"))); !errors.Is(err, boom) {
		t.Fatalf("Send = %v, want the write error", err)
	}
	wantTransportClosed(t, d, false, "after a write error")
	ep.Closed(boom)
	waitClosed(t, rec.closed, "OnClose")
	if !errors.Is(s.Err(), boom) {
		t.Fatalf("Err = %v, want the write error", s.Err())
	}
	if got := rec.kinds(); len(got) != 3 || got[1] != "error" {
		t.Fatalf("events %v", got)
	}
}

// fillBacklog makes the driver refuse bytes and sends one frame of n bytes, so
// the backlog is over a limit below n.
func fillBacklog(t *testing.T, s *session.Session, d *memDriver, n int) {
	t.Helper()
	d.setBlocked(true)
	if err := s.Send(context.Background(), session.BorrowBinary(make([]byte, n))); err != nil {
		t.Fatalf("first Send: %v", err)
	}
	if d.wantWrites() == 0 {
		t.Fatal("EAGAIN without WantWrite")
	}
}

// TestBackpressureWait: Send blocks while the backlog is over its limit and
// returns once Writable drains it; a cancelled context stops the wait.
func TestBackpressureWait(t *testing.T) {
	s, ep, d := newWaitingSession(t, session.Config{Backlog: 1024})
	fillBacklog(t, s, d, 2000)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := s.Send(ctx, session.BorrowBinary([]byte("x"))); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send with an expiring context = %v, want DeadlineExceeded", err)
	}

	sent := make(chan error, 1)
	go func() { sent <- s.Send(context.Background(), session.CopyText("second")) }()
	select {
	case err := <-sent:
		t.Fatalf("Send returned %v while the backlog was full", err)
	case <-time.After(30 * time.Millisecond):
	}
	// A ping and a pong pass the limit.
	if err := s.Send(context.Background(), control(frame.OpPing, []byte("pi"))); err != nil {
		t.Fatalf("ping over a full backlog: %v", err)
	}
	if err := ep.Feed(encodeFrom(seam.Server, wf{op: frame.OpPing, fin: true, payload: []byte("po")})); err != nil {
		t.Fatal(err)
	}
	d.setBlocked(false)
	ep.Writable()
	select {
	case err := <-sent:
		if err != nil {
			t.Fatalf("blocked Send: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Send still blocked after the backlog drained")
	}
	var got []string
	for _, f := range d.frames(t) {
		got = append(got, f.Op.String()+":"+string(f.Payload[:min(len(f.Payload), 6)]))
	}
	want := []string{"binary:\x00\x00\x00\x00\x00\x00", "ping:pi", "pong:po", "text:second"}
	if len(got) != len(want) {
		t.Fatalf("wrote %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("wrote %q, want %q", got, want)
		}
	}
}

// TestBackpressureWaitClosed: a Send waiting on the backlog returns
// net.ErrClosed when the session ends.
func TestBackpressureWaitClosed(t *testing.T) {
	s, ep, d := newWaitingSession(t, session.Config{Backlog: 10})
	fillBacklog(t, s, d, 100)
	sent := make(chan error, 1)
	go func() { sent <- s.Send(context.Background(), session.BorrowBinary([]byte("x"))) }()
	time.Sleep(10 * time.Millisecond)
	s.Terminate()
	ep.Closed(nil)
	select {
	case err := <-sent:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Send = %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Send still blocked after the session ended")
	}
}

// TestBackpressureDrop: over the limit a data frame is dropped with
// ErrBacklogFull; control frames and the close still go out.
func TestBackpressureDrop(t *testing.T) {
	s, ep, d, _ := newEventSession(t, session.Config{Backlog: 1024, Backpressure: session.BackpressureDrop}, seam.Server)
	fillBacklog(t, s, d, 2000)
	if err := s.Send(context.Background(), session.CopyText("dropped")); !errors.Is(err, session.ErrBacklogFull) {
		t.Fatalf("Send = %v, want ErrBacklogFull", err)
	}
	if err := s.Send(context.Background(), control(frame.OpPong, []byte("pong"))); err != nil {
		t.Fatalf("pong over the limit: %v", err)
	}
	if err := s.Close(session.CloseReason{Code: frame.CloseNormal}); err != nil {
		t.Fatalf("Close over the limit: %v", err)
	}
	d.setBlocked(false)
	ep.Writable()
	fs := d.frames(t)
	if len(fs) != 3 || fs[0].Op != frame.OpBinary || fs[1].Op != frame.OpPong || fs[2].Op != frame.OpClose {
		t.Fatalf("wrote %d frames %v, want binary, pong, close", len(fs), fs)
	}
}

// TestBackpressureClose: over the limit the session closes with 1008, after
// the backlog.
func TestBackpressureClose(t *testing.T) {
	s, ep, d, _ := newEventSession(t, session.Config{Backlog: 1024, Backpressure: session.BackpressureClose}, seam.Server)
	fillBacklog(t, s, d, 2000)
	if err := s.Send(context.Background(), session.CopyText("too much")); !errors.Is(err, session.ErrBacklogFull) {
		t.Fatalf("Send = %v, want ErrBacklogFull", err)
	}
	if r := s.CloseReason(); r.Code != frame.ClosePolicyViolation {
		t.Fatalf("CloseReason %v, want 1008", r)
	}
	d.setBlocked(false)
	ep.Writable()
	fs := d.frames(t)
	if len(fs) != 2 || fs[0].Op != frame.OpBinary {
		t.Fatalf("wrote %v, want the backlog then a close", fs)
	}
	wantClose(t, fs[1], frame.ClosePolicyViolation, "outgoing backlog full")
}

// TestInlineHandlerOverBacklog: an inline handler cannot wait for the
// backlog; its frame is queued past the limit and reading pauses until the
// backlog drains.
func TestInlineHandlerOverBacklog(t *testing.T) {
	rec := newRecorder()
	rec.onMessage = func(s *session.Session, f session.Frame) {
		if err := s.Send(context.Background(), f); err != nil {
			t.Errorf("echo: %v", err)
		}
	}
	d := newMemDriver()
	_, ep := newSession(t, session.Config{Backlog: 64}, rec, seam.Server, d, nil)
	d.setBlocked(true)
	big := bytes.Repeat([]byte("x"), 100)
	if err := ep.Feed(encodeFrom(seam.Server, wf{op: frame.OpBinary, fin: true, payload: big}, msg(frame.OpText, "two"))); err != nil {
		t.Fatal(err)
	}
	if p := d.pauseLog(); len(p) != 1 || !p[0] {
		t.Fatalf("PauseRead calls %v, want [true]", p)
	}
	d.setBlocked(false)
	ep.Writable()
	if p := d.pauseLog(); len(p) != 2 || p[1] {
		t.Fatalf("PauseRead calls %v, want [true false]", p)
	}
	fs := d.frames(t)
	if len(fs) != 2 || !bytes.Equal(fs[0].Payload, big) || string(fs[1].Payload) != "two" {
		t.Fatalf("echoed %d frames", len(fs))
	}
}

// TestEventSessionSendNeverWaits: an event-style session, served inline or
// on the worker pool, never makes Send wait, whoever calls it (another
// session's handler broadcasting, for instance, which must not stall its
// event loop or a shared worker). Over the limit the frame is queued and
// reading pauses; at twice the limit the peer is dropped with 1008.
func TestEventSessionSendNeverWaits(t *testing.T) {
	for _, tc := range []struct {
		name     string
		dispatch session.Dispatch
	}{{"inline", session.DispatchInline}, {"pool", session.DispatchPool}} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, d, _ := newEventSession(t, session.Config{Backlog: 1024, Dispatch: tc.dispatch}, seam.Server)
			d.setBlocked(true)
			p := make([]byte, 100)
			var err error
			done := make(chan struct{})
			go func() {
				defer close(done)
				for i := 0; i < 100 && err == nil; i++ {
					err = s.Send(context.Background(), session.BorrowBinary(p))
				}
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Send waited on the backlog of an event-style session")
			}
			if !errors.Is(err, session.ErrBacklogFull) {
				t.Fatalf("Send over twice the backlog = %v, want ErrBacklogFull", err)
			}
			if b := session.Backlog(s); b > 2*1024+2*(4+100)+frame.MaxHeaderSize+frame.MaxControlPayload {
				t.Fatalf("backlog grew to %d bytes, want about twice the limit", b)
			}
			if pl := d.pauseLog(); len(pl) == 0 || !pl[0] {
				t.Fatalf("reading was not paused over the limit: %v", pl)
			}
			if r := s.CloseReason(); r.Code != frame.ClosePolicyViolation {
				t.Fatalf("close reason %v, want 1008", r)
			}
		})
	}
}

// flushHandler echoes and flushes from an inline handler.
type flushHandler struct {
	session.NopHandler
	err chan error
}

func (h *flushHandler) OnMessage(s *session.Session, f session.Frame) {
	_ = s.Send(context.Background(), f)
	h.err <- s.Flush(context.Background())
}

// TestFlushInInlineHandler: Flush from an inline handler writes the frames
// batched by the running Feed instead of waiting for the Feed to end, which
// would deadlock the event loop; what the kernel does not take is reported as
// ErrWouldBlock.
func TestFlushInInlineHandler(t *testing.T) {
	h := &flushHandler{err: make(chan error, 2)}
	d := newMemDriver()
	_, ep := newSession(t, session.Config{}, h, seam.Server, d, nil)
	feed := func() error {
		done := make(chan error, 1)
		go func() { done <- ep.Feed(encodeFrom(seam.Server, msg(frame.OpText, "hi"))) }()
		select {
		case err := <-done:
			return err
		case <-time.After(5 * time.Second):
			t.Fatal("Feed deadlocked in Flush")
			return nil
		}
	}
	if err := feed(); err != nil {
		t.Fatal(err)
	}
	if err := <-h.err; err != nil {
		t.Fatalf("Flush in an inline handler = %v, want nil", err)
	}
	if fs := d.frames(t); len(fs) != 1 || string(fs[0].Payload) != "hi" {
		t.Fatalf("wrote %v, want the echo", fs)
	}
	d.setBlocked(true)
	if err := feed(); err != nil {
		t.Fatal(err)
	}
	if err := <-h.err; !errors.Is(err, session.ErrWouldBlock) {
		t.Fatalf("Flush over a blocked socket in an inline handler = %v, want ErrWouldBlock", err)
	}
}

// TestPongAfterQueuedPongWritten: under a backlog that never empties, each
// ping is answered once the pong queued before it has been written.
func TestPongAfterQueuedPongWritten(t *testing.T) {
	s, ep, d, _ := newEventSession(t, session.Config{Dispatch: session.DispatchPool}, seam.Server)
	d.setBlocked(true)
	big := make([]byte, 4000)
	ping := func(p string) {
		if err := ep.Feed(encodeFrom(seam.Server, wf{op: frame.OpPing, fin: true, payload: []byte(p)})); err != nil {
			t.Fatal(err)
		}
	}
	for round := 0; round < 5; round++ {
		if err := s.Send(context.Background(), session.BorrowBinary(big)); err != nil {
			t.Fatal(err)
		}
		ping("p")
		// The peer reads the frames before the pong and the pong itself,
		// but the data sent after it keeps the backlog from emptying.
		if err := s.Send(context.Background(), session.BorrowBinary(big)); err != nil {
			t.Fatal(err)
		}
		d.mu.Lock()
		d.blocked, d.chunk = false, session.Backlog(s)-len(big)
		d.mu.Unlock()
		ep.Writable()
		d.mu.Lock()
		d.blocked, d.chunk = true, 0
		d.mu.Unlock()
	}
	pongs := 0
	for _, f := range parseWhole(d.bytes()) {
		if f.Op == frame.OpPong {
			pongs++
		}
	}
	if pongs != 5 {
		t.Fatalf("%d pongs for 5 pings under a steady backlog, want 5", pongs)
	}
}

// TestFlush: Flush returns at once with nothing pending, waits for the
// backlog otherwise, honours its context, and reports net.ErrClosed when the
// session ends with bytes unwritten.
func TestFlush(t *testing.T) {
	ctx := context.Background()
	t.Run("empty", func(t *testing.T) {
		s, _, _, _ := newEventSession(t, session.Config{}, seam.Server)
		_ = s.Send(ctx, session.BorrowBinary([]byte("written at once")))
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("waits for Writable", func(t *testing.T) {
		s, ep, d, _ := newEventSession(t, session.Config{}, seam.Server)
		d.chunk = 3
		_ = s.Send(ctx, session.BorrowBinary([]byte("0123456789")))
		tctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
		defer cancel()
		if err := s.Flush(tctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Flush with a pending backlog = %v, want DeadlineExceeded", err)
		}
		flushed := make(chan error, 1)
		go func() { flushed <- s.Flush(ctx) }()
		time.Sleep(5 * time.Millisecond)
		// Frames sent after Flush began do not hold it back.
		d.setBlocked(true)
		ep.Writable()
		select {
		case err := <-flushed:
			t.Fatalf("Flush returned %v with bytes pending", err)
		default:
		}
		d.setBlocked(false)
		d.chunk = 0
		ep.Writable()
		select {
		case err := <-flushed:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Flush did not return after the backlog drained")
		}
		if fs := d.frames(t); len(fs) != 1 || string(fs[0].Payload) != "0123456789" {
			t.Fatalf("wrote %v", fs)
		}
	})
	t.Run("session ends", func(t *testing.T) {
		s, ep, d, _ := newEventSession(t, session.Config{}, seam.Server)
		d.setBlocked(true)
		_ = s.Send(ctx, session.BorrowBinary([]byte("never written")))
		flushed := make(chan error, 1)
		go func() { flushed <- s.Flush(ctx) }()
		time.Sleep(5 * time.Millisecond)
		s.Terminate()
		ep.Closed(nil)
		select {
		case err := <-flushed:
			if !errors.Is(err, net.ErrClosed) {
				t.Fatalf("Flush = %v, want net.ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Flush did not return when the session ended")
		}
	})
}

// TestConcurrentSenders: N goroutines each send M frames while an event
// loop drains a small backlog with short writes; every frame arrives intact
// and each goroutine's frames arrive in order.
func TestConcurrentSenders(t *testing.T) {
	const n, m = 8, 200
	for _, role := range roles {
		t.Run(roleName(role), func(t *testing.T) {
			d := newMemDriver()
			d.chunk = 1500
			cfg := session.Config{Backlog: 4096}
			s, ep := startSession(newRoute(&cfg, nil, nil, nil, nil), role, d, nil) // a session whose Send waits
			stop := make(chan struct{})
			defer close(stop)
			d.pumpWritable(ep, stop)

			var wg sync.WaitGroup
			for g := 0; g < n; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < m; i++ {
						// Sizes cross the 7-bit and 16-bit length forms.
						size := 8 + (i*37+g*11)%700
						if i%50 == 0 {
							size = 70000
						}
						p := make([]byte, size)
						binary.BigEndian.PutUint32(p[0:], uint32(g))
						binary.BigEndian.PutUint32(p[4:], uint32(i))
						for k := 8; k < size; k++ {
							p[k] = byte(g + i + k)
						}
						f := session.BorrowBinary(p)
						if i%3 == 0 {
							f = f.Clone()
						}
						if err := s.Send(context.Background(), f); err != nil {
							t.Errorf("goroutine %d frame %d: %v", g, i, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := s.Flush(ctx); err != nil {
				t.Fatalf("Flush: %v", err)
			}
			next := make([]int, n)
			fs := d.frames(t)
			if len(fs) != n*m {
				t.Fatalf("wrote %d frames, want %d", len(fs), n*m)
			}
			for _, f := range fs {
				if f.Op != frame.OpBinary || !f.Fin || f.Masked != (role == seam.Client) {
					t.Fatalf("frame %v fin=%v masked=%v", f.Op, f.Fin, f.Masked)
				}
				g := int(binary.BigEndian.Uint32(f.Payload[0:]))
				i := int(binary.BigEndian.Uint32(f.Payload[4:]))
				if g >= n || i != next[g] {
					t.Fatalf("goroutine %d: frame %d arrived, want %d", g, i, next[g])
				}
				next[g]++
				for k := 8; k < len(f.Payload); k++ {
					if f.Payload[k] != byte(g+i+k) {
						t.Fatalf("goroutine %d frame %d: byte %d corrupted", g, i, k)
					}
				}
			}
		})
	}
}

// TestPingFloodBacklog: while a pong waits in the backlog, further pings add
// nothing to it, so a peer that pings without reading cannot grow our memory.
func TestPingFloodBacklog(t *testing.T) {
	s, ep, d, _ := newEventSession(t, session.Config{}, seam.Server)
	d.setBlocked(true)
	var wire []byte
	for i := 0; i < 1000; i++ {
		wire = append(wire, encodeFrom(seam.Server, wf{op: frame.OpPing, fin: true, payload: bytes.Repeat([]byte{'p'}, 125)})...)
	}
	if err := ep.Feed(wire); err != nil {
		t.Fatal(err)
	}
	// Pongs of one read are batched; once the peer stops taking them,
	// no further pong is queued: the backlog stays near one batch.
	if b := session.Backlog(s); b > 64<<10+2*(2+125) {
		t.Fatalf("backlog %d bytes after a ping flood, want at most one batch", b)
	}
	d.setBlocked(false)
	ep.Writable()
	// Once the pong is out, the next ping is answered again.
	if err := ep.Feed(encodeFrom(seam.Server, wf{op: frame.OpPing, fin: true, payload: []byte("again")})); err != nil {
		t.Fatal(err)
	}
	fs := d.frames(t)
	if len(fs) < 2 || fs[0].Op != frame.OpPong || string(fs[len(fs)-1].Payload) != "again" {
		t.Fatalf("wrote %d frames, want the batched pongs then the answer to the new ping", len(fs))
	}
}

// TestCloseTimeoutConfig: the closing handshake waits CloseTimeout, pings
// wait Timeout.
func TestCloseTimeoutConfig(t *testing.T) {
	s, ep, d, _ := newEventSession(t, session.Config{PingInterval: time.Minute, Timeout: time.Second, CloseTimeout: 3 * time.Second}, seam.Server)
	ep.Timer()
	if got := d.lastTimer(); got != time.Second {
		t.Fatalf("pong timer %v, want Timeout", got)
	}
	_ = s.Close(session.CloseReason{Code: frame.CloseNormal})
	if got := d.lastTimer(); got != 3*time.Second {
		t.Fatalf("close timer %v, want CloseTimeout", got)
	}
}
