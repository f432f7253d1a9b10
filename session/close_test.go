package session_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

// wantClose checks that f is a close frame carrying code and reason.
func wantClose(t *testing.T, f wireFrame, code frame.CloseCode, reason string) {
	t.Helper()
	if f.Op != frame.OpClose || !f.Fin {
		t.Fatalf("frame %v fin=%v, want a close frame", f.Op, f.Fin)
	}
	c, r, err := frame.ParseClose(f.Payload)
	if err != nil || c != code || string(r) != reason {
		t.Fatalf("close frame %d %q (%v), want %d %q", c, r, err, code, reason)
	}
}

// TestPeerClosesFirst: the peer's close is echoed with its code; a server then
// closes the transport (RFC 6455 §7.1.1), a client waits for the server to
// and gives up after Timeout.
func TestPeerClosesFirst(t *testing.T) {
	tests := []struct {
		name       string
		role       seam.Role
		payload    []byte
		wantCode   frame.CloseCode
		wantReason string
		echoEmpty  bool
	}{
		{name: "server normal", role: seam.Server, payload: closePayload(frame.CloseNormal, "bye"), wantCode: frame.CloseNormal, wantReason: "bye"},
		{name: "server going away", role: seam.Server, payload: closePayload(frame.CloseGoingAway, ""), wantCode: frame.CloseGoingAway},
		{name: "server private code", role: seam.Server, payload: closePayload(4321, "app"), wantCode: 4321, wantReason: "app"},
		{name: "server no status", role: seam.Server, payload: nil, wantCode: frame.CloseNoStatus, echoEmpty: true},
		{name: "client normal", role: seam.Client, payload: closePayload(frame.CloseNormal, "bye"), wantCode: frame.CloseNormal, wantReason: "bye"},
		{name: "client no status", role: seam.Client, payload: nil, wantCode: frame.CloseNoStatus, echoEmpty: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ep, d, rec := newEventSession(t, session.Config{}, tt.role)
			if err := ep.Feed(encodeFrom(tt.role, closeFrame(tt.payload))); err != nil {
				t.Fatalf("Feed: %v", err)
			}
			fs := d.frames(t)
			if len(fs) != 1 {
				t.Fatalf("wrote %d frames, want the close echo", len(fs))
			}
			if tt.echoEmpty {
				if fs[0].Op != frame.OpClose || len(fs[0].Payload) != 0 {
					t.Fatalf("echo %v %q, want an empty close", fs[0].Op, fs[0].Payload)
				}
			} else {
				wantClose(t, fs[0], tt.wantCode, tt.wantReason)
			}
			if fs[0].Masked != (tt.role == seam.Client) {
				t.Fatalf("echo masked=%v", fs[0].Masked)
			}
			if tt.role == seam.Server {
				wantTransportClosed(t, d, true, "server, after the close echo")
			} else {
				if d.closeCount() != 0 {
					t.Fatal("client closed the transport before the server did")
				}
				if got := d.lastTimer(); got != defaultTimeout {
					t.Fatalf("client: timer %v, want %v", got, defaultTimeout)
				}
				ep.Timer()
				// Both closes were exchanged: a clean end.
				wantTransportClosed(t, d, true, "client, at the timeout")
			}
			if err := s.Send(context.Background(), session.BorrowBinary([]byte("late"))); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("Send after close: %v, want net.ErrClosed", err)
			}
			ep.Closed(nil)
			waitClosed(t, rec.closed, "OnClose")
			if got := rec.kinds(); !slices.Equal(got, []string{"open", "close"}) {
				t.Fatalf("events %v, want open, close", got)
			}
			r := s.CloseReason()
			if r.Code != tt.wantCode || r.Reason != tt.wantReason {
				t.Fatalf("CloseReason %v, want %d %q", r, tt.wantCode, tt.wantReason)
			}
			if ev := rec.events(); ev[len(ev)-1].rsn != r {
				t.Fatalf("OnClose got %v, CloseReason is %v", ev[len(ev)-1].rsn, r)
			}
			if s.Err() != nil {
				t.Fatalf("Err after a clean handshake: %v", s.Err())
			}
		})
	}
}

// TestWeCloseFirst: Close writes the close frame; the transport is closed
// when the peer's close arrives (server) and the reason is ours.
func TestWeCloseFirst(t *testing.T) {
	for _, role := range roles {
		t.Run(roleName(role), func(t *testing.T) {
			s, ep, d, rec := newEventSession(t, session.Config{Timeout: 3 * time.Second}, role)
			if err := s.Close(session.CloseReason{Code: frame.CloseNormal, Reason: "done"}); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if err := s.Close(session.CloseReason{Code: frame.CloseGoingAway}); err != nil {
				t.Fatalf("second Close: %v, want nil", err)
			}
			fs := d.frames(t)
			if len(fs) != 1 {
				t.Fatalf("wrote %d frames, want one close", len(fs))
			}
			wantClose(t, fs[0], frame.CloseNormal, "done")
			if got := d.lastTimer(); got != 3*time.Second {
				t.Fatalf("close timer %v, want the session Timeout", got)
			}
			if d.closeCount() != 0 {
				t.Fatal("transport closed before the peer answered")
			}
			if err := s.Send(context.Background(), session.BorrowBinary([]byte("x"))); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("Send after Close: %v, want net.ErrClosed", err)
			}
			// Data still in flight from the peer is read, the answer ends it.
			if err := ep.Feed(encodeFrom(role, msg(frame.OpText, "in flight"), closeFrame(closePayload(frame.CloseNormal, "ok")))); err != nil {
				t.Fatalf("Feed: %v", err)
			}
			if len(d.frames(t)) != 1 {
				t.Fatal("close echoed although ours was sent")
			}
			if role == seam.Server {
				wantTransportClosed(t, d, true, "server, after the handshake")
			}
			if role == seam.Client {
				ep.Closed(io.EOF) // the server closes TCP
			} else {
				ep.Closed(nil)
			}
			waitClosed(t, rec.closed, "OnClose")
			if got := rec.kinds(); !slices.Equal(got, []string{"open", "message", "close"}) {
				t.Fatalf("events %v", got)
			}
			if r := s.CloseReason(); r.Code != frame.CloseNormal || r.Reason != "done" {
				t.Fatalf("CloseReason %v, want ours", r)
			}
			if s.Err() != nil {
				t.Fatalf("Err %v after a clean handshake", s.Err())
			}
			if err := s.Close(session.CloseReason{Code: frame.CloseNormal}); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("Close after the end: %v, want net.ErrClosed", err)
			}
		})
	}
}

// TestCloseTimeout: a peer that never answers our close is dropped when the
// timer fires, and the session reports ErrTimeout.
func TestCloseTimeout(t *testing.T) {
	s, ep, d, rec := newEventSession(t, session.Config{}, seam.Server)
	if err := s.Close(session.CloseReason{Code: frame.CloseGoingAway, Reason: "shutdown"}); err != nil {
		t.Fatal(err)
	}
	ep.Timer()
	wantTransportClosed(t, d, false, "at the close timeout")
	ep.Closed(nil)
	waitClosed(t, rec.closed, "OnClose")
	if !errors.Is(s.Err(), session.ErrTimeout) {
		t.Fatalf("Err = %v, want ErrTimeout", s.Err())
	}
	if got := rec.kinds(); !slices.Equal(got, []string{"open", "error", "close"}) {
		t.Fatalf("events %v", got)
	}
	if r := s.CloseReason(); r.Code != frame.CloseGoingAway {
		t.Fatalf("CloseReason %v, want the close we sent", r)
	}
}

// TestAbnormalClosure: the transport ending without a close frame gives
// CloseReason 1006 and an error, and OnError runs before OnClose.
func TestAbnormalClosure(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
	}{
		{name: "eof", err: io.EOF},
		{name: "nil", err: nil},
		{name: "reset", err: errors.New("connection reset by peer")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, ep, _, rec := newEventSession(t, session.Config{}, seam.Server)
			done := s.Done()
			// A partial message is pending; it must be dropped, not delivered.
			in := encodeFrom(seam.Server, frag(frame.OpText, false, "partial"))
			if err := ep.Feed(in); err != nil {
				t.Fatal(err)
			}
			ep.Closed(tt.err)
			waitClosed(t, done, "Done")
			if r := s.CloseReason(); r.Code != frame.CloseAbnormal {
				t.Fatalf("CloseReason %v, want 1006", r)
			}
			if s.Err() == nil {
				t.Fatal("Err nil after an abnormal closure")
			}
			if tt.err != nil && tt.err != io.EOF && !errors.Is(s.Err(), tt.err) {
				t.Fatalf("Err %v, want the transport error", s.Err())
			}
			ev := rec.events()
			if got := rec.kinds(); !slices.Equal(got, []string{"open", "error", "close"}) {
				t.Fatalf("events %v, want open, error, close", got)
			}
			if ev[1].err == nil || ev[2].rsn.Code != frame.CloseAbnormal {
				t.Fatalf("OnError(%v) OnClose(%v)", ev[1].err, ev[2].rsn)
			}
			ep.Closed(io.EOF) // a second call is ignored
			if len(rec.events()) != 3 {
				t.Fatal("second Closed delivered events again")
			}
		})
	}
}

// TestTerminate drops the connection without a handshake or the backlog.
func TestTerminate(t *testing.T) {
	s, ep, d, rec := newEventSession(t, session.Config{}, seam.Server)
	d.setBlocked(true)
	if err := s.Send(context.Background(), session.BorrowBinary([]byte("queued"))); err != nil {
		t.Fatal(err)
	}
	s.Terminate()
	wantTransportClosed(t, d, false, "Terminate")
	d.setBlocked(false)
	ep.Writable()
	if len(d.bytes()) != 0 {
		t.Fatal("backlog or a close frame written after Terminate")
	}
	ep.Closed(nil)
	waitClosed(t, rec.closed, "OnClose")
	if r := s.CloseReason(); r.Code != frame.CloseAbnormal {
		t.Fatalf("CloseReason %v, want 1006", r)
	}
}

// TestCloseReasonValidation: Close refuses what cannot be sent with
// ErrInvalidFrame, writing nothing and leaving the session open.
func TestCloseReasonValidation(t *testing.T) {
	long := string(make([]byte, 124))
	for _, tt := range []struct {
		name string
		r    session.CloseReason
		ok   bool
	}{
		{name: "normal", r: session.CloseReason{Code: frame.CloseNormal, Reason: "bye"}, ok: true},
		{name: "no status", r: session.CloseReason{Code: frame.CloseNoStatus}, ok: true},
		{name: "private", r: session.CloseReason{Code: 4000}, ok: true},
		{name: "try again later", r: session.CloseReason{Code: frame.CloseTryAgainLater}, ok: true},
		{name: "reason of 123 bytes", r: session.CloseReason{Code: frame.CloseNormal, Reason: long[:123]}, ok: true},
		{name: "abnormal", r: session.CloseReason{Code: frame.CloseAbnormal}},
		{name: "TLS handshake", r: session.CloseReason{Code: frame.CloseTLSHandshake}},
		{name: "code 2999", r: session.CloseReason{Code: 2999}},
		{name: "code 5000", r: session.CloseReason{Code: 5000}},
		{name: "no status with reason", r: session.CloseReason{Code: frame.CloseNoStatus, Reason: "x"}},
		{name: "zero", r: session.CloseReason{}},
		{name: "reason too long", r: session.CloseReason{Code: frame.CloseNormal, Reason: long}},
		{name: "reason not utf8", r: session.CloseReason{Code: frame.CloseNormal, Reason: "\xff"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, _, d, _ := newEventSession(t, session.Config{}, seam.Server)
			err := s.Close(tt.r)
			if tt.ok != (err == nil) {
				t.Fatalf("Close(%v) = %v, want ok=%v", tt.r, err, tt.ok)
			}
			if tt.ok {
				wantClose(t, d.frames(t)[0], tt.r.Code, tt.r.Reason)
				return
			}
			if !errors.Is(err, session.ErrInvalidFrame) || err != session.InvalidCloseReason {
				t.Fatalf("Close(%v) = %v, want ErrInvalidFrame for the close reason", tt.r, err)
			}
			if len(d.bytes()) != 0 {
				t.Fatal("a refused close wrote something")
			}
			if r := s.CloseReason(); r != (session.CloseReason{}) {
				t.Fatalf("a refused close set CloseReason %v", r)
			}
			// The session is still open: a valid Close goes out.
			if err := s.Close(session.CloseReason{Code: frame.CloseNormal}); err != nil {
				t.Fatalf("Close after a refused one: %v", err)
			}
			if fs := d.frames(t); len(fs) != 1 {
				t.Fatalf("wrote %d frames, want the one close", len(fs))
			}
		})
	}
}

// TestCloseNeverBlocksOnOutgoing: Close returns at once even when Outgoing is
// full and its goroutine waits on a peer that does not read; the close timer
// then bounds the wait.
func TestCloseNeverBlocksOnOutgoing(t *testing.T) {
	d := newMemDriver()
	d.setBlocked(true)
	cfg := session.Config{Backlog: 10}
	s, ep := startSession(newRoute(&cfg, nil, nil, nil, nil), seam.Server, d, nil) // a session whose Send waits
	out := s.Outgoing()
	for i := 0; i < 20; i++ {
		select {
		case out <- session.CopyText("queued"):
		case <-time.After(100 * time.Millisecond):
			i = 20 // full: the Outgoing goroutine is stuck on the backlog
		}
	}
	returned := make(chan error, 1)
	go func() { returned <- s.Close(session.CloseReason{Code: frame.CloseGoingAway}) }()
	select {
	case err := <-returned:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked on a full Outgoing")
	}
	if d.lastTimer() <= 0 {
		t.Fatal("Close did not arm the close timer")
	}
	ep.Timer() // the close timeout passes
	wantTransportClosed(t, d, false, "at the close timeout")
	ep.Closed(nil)
}

// TestCloseWireBytes: the close frame Close writes, byte for byte (an
// unmasked server frame: 0x88, length, code 1000, reason), and the handshake
// that follows: the transport is closed once the peer answers, and a clean
// handshake leaves no error.
func TestCloseWireBytes(t *testing.T) {
	d := newMemDriver()
	s, ep := newSession(t, session.Config{}, session.NopHandler{}, seam.Server, d, nil)
	if err := s.Close(session.CloseReason{Code: frame.CloseNormal, Reason: "done"}); err != nil {
		t.Fatal(err)
	}
	if got, want := d.bytes(), []byte{0x88, 0x06, 0x03, 0xe8, 'd', 'o', 'n', 'e'}; !bytes.Equal(got, want) {
		t.Fatalf("wrote % x, want % x", got, want)
	}
	if d.closeCount() != 0 {
		t.Fatal("transport closed before the peer answered")
	}
	if err := ep.Feed(encodeFrom(seam.Server, closeFrame(closePayload(frame.CloseNormal, "")))); err != nil {
		t.Fatal(err)
	}
	wantTransportClosed(t, d, true, "after the peer's close")
	ep.Closed(nil)
	if r := s.CloseReason(); r.Code != frame.CloseNormal || r.Reason != "done" || s.Err() != nil {
		t.Fatalf("CloseReason %v Err %v, want ours and no error", r, s.Err())
	}
}

// TestGoingAway: the driver's GoingAway (its server shuts down) closes the
// session with 1001 after what it has queued, and waits for the peer's close
// like any Close.
func TestGoingAway(t *testing.T) {
	s, ep, d, rec := newEventSession(t, session.Config{}, seam.Server)
	d.setBlocked(true)
	if err := s.Send(context.Background(), session.BorrowBinary([]byte("queued"))); err != nil {
		t.Fatal(err)
	}
	ep.GoingAway()
	d.setBlocked(false)
	ep.Writable()
	fs := d.frames(t)
	if len(fs) != 2 || string(fs[0].Payload) != "queued" {
		t.Fatalf("wrote %d frames, want the queued one then the close", len(fs))
	}
	wantClose(t, fs[1], frame.CloseGoingAway, "server shutting down")
	if d.closeCount() != 0 {
		t.Fatal("transport closed before the peer answered")
	}
	ep.GoingAway() // a second call changes nothing
	if len(d.frames(t)) != 2 {
		t.Fatal("a second GoingAway wrote another close")
	}
	if err := ep.Feed(encodeFrom(seam.Server, closeFrame(closePayload(frame.CloseGoingAway, "")))); err != nil {
		t.Fatal(err)
	}
	wantTransportClosed(t, d, true, "after the peer's close")
	ep.Closed(nil)
	waitClosed(t, rec.closed, "OnClose")
	if r := s.CloseReason(); r.Code != frame.CloseGoingAway || r.Reason != "server shutting down" || s.Err() != nil {
		t.Fatalf("CloseReason %v Err %v", r, s.Err())
	}
}
