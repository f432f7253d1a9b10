package session_test

import (
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/surgews/surge/frame"
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
		role       session.Role
		payload    []byte
		wantCode   frame.CloseCode
		wantReason string
		echoEmpty  bool
	}{
		{name: "server normal", role: session.RoleServer, payload: closePayload(frame.CloseNormal, "bye"), wantCode: frame.CloseNormal, wantReason: "bye"},
		{name: "server going away", role: session.RoleServer, payload: closePayload(frame.CloseGoingAway, ""), wantCode: frame.CloseGoingAway},
		{name: "server private code", role: session.RoleServer, payload: closePayload(4321, "app"), wantCode: 4321, wantReason: "app"},
		{name: "server no status", role: session.RoleServer, payload: nil, wantCode: frame.CloseNoStatus, echoEmpty: true},
		{name: "client normal", role: session.RoleClient, payload: closePayload(frame.CloseNormal, "bye"), wantCode: frame.CloseNormal, wantReason: "bye"},
		{name: "client no status", role: session.RoleClient, payload: nil, wantCode: frame.CloseNoStatus, echoEmpty: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, d, rec := newEventSession(t, session.Config{}, tt.role)
			if err := s.Feed(encodeFrom(tt.role, closeFrame(tt.payload))); err != nil {
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
			if fs[0].Masked != (tt.role == session.RoleClient) {
				t.Fatalf("echo masked=%v", fs[0].Masked)
			}
			if tt.role == session.RoleServer {
				if d.closeCount() != 1 {
					t.Fatalf("server: CloseTransport called %d times, want 1", d.closeCount())
				}
			} else {
				if d.closeCount() != 0 {
					t.Fatal("client closed the transport before the server did")
				}
				if got := d.lastTimer(); got != session.DefaultTimeout {
					t.Fatalf("client: timer %v, want %v", got, session.DefaultTimeout)
				}
				s.Timer()
				if d.closeCount() != 1 {
					t.Fatal("client: transport not closed at the timeout")
				}
			}
			if err := s.Send(context.Background(), session.Binary([]byte("late"))); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("Send after close: %v, want net.ErrClosed", err)
			}
			s.Closed(nil)
			waitClosed(t, rec.closed, "OnClose")
			if got := rec.kinds(); !slices.Equal(got, []string{"open", "close"}) {
				t.Fatalf("events %v, want open, close", got)
			}
			r := s.CloseReason()
			if r.Code != tt.wantCode || r.Message != tt.wantReason {
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
	for _, role := range []session.Role{session.RoleServer, session.RoleClient} {
		t.Run(roleName(role), func(t *testing.T) {
			s, d, rec := newEventSession(t, session.Config{Timeout: 3 * time.Second}, role)
			if err := s.Close(session.CloseReason{Code: frame.CloseNormal, Message: "done"}); err != nil {
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
			if err := s.Send(context.Background(), session.Binary([]byte("x"))); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("Send after Close: %v, want net.ErrClosed", err)
			}
			// Data still in flight from the peer is read, the answer ends it.
			if err := s.Feed(encodeFrom(role, msg(frame.OpText, "in flight"), closeFrame(closePayload(frame.CloseNormal, "ok")))); err != nil {
				t.Fatalf("Feed: %v", err)
			}
			if len(d.frames(t)) != 1 {
				t.Fatal("close echoed although ours was sent")
			}
			if role == session.RoleServer && d.closeCount() != 1 {
				t.Fatal("server: transport not closed after the handshake")
			}
			if role == session.RoleClient {
				s.Closed(io.EOF) // the server closes TCP
			} else {
				s.Closed(nil)
			}
			waitClosed(t, rec.closed, "OnClose")
			if got := rec.kinds(); !slices.Equal(got, []string{"open", "message", "close"}) {
				t.Fatalf("events %v", got)
			}
			if r := s.CloseReason(); r.Code != frame.CloseNormal || r.Message != "done" {
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
	s, d, rec := newEventSession(t, session.Config{}, session.RoleServer)
	if err := s.Close(session.CloseReason{Code: frame.CloseGoingAway, Message: "shutdown"}); err != nil {
		t.Fatal(err)
	}
	s.Timer()
	if d.closeCount() != 1 {
		t.Fatal("transport not closed at the close timeout")
	}
	s.Closed(nil)
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
			s, _, rec := newEventSession(t, session.Config{}, session.RoleServer)
			done := s.Done()
			// A partial message is pending; it must be dropped, not delivered.
			in := encodeFrom(session.RoleServer, frag(frame.OpText, false, "partial"))
			if err := s.Feed(in); err != nil {
				t.Fatal(err)
			}
			s.Closed(tt.err)
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
			s.Closed(io.EOF) // a second call is ignored
			if len(rec.events()) != 3 {
				t.Fatal("second Closed delivered events again")
			}
		})
	}
}

// TestTerminate drops the connection without a handshake or the backlog.
func TestTerminate(t *testing.T) {
	s, d, rec := newEventSession(t, session.Config{}, session.RoleServer)
	d.setBlocked(true)
	if err := s.Send(context.Background(), session.Binary([]byte("queued"))); err != nil {
		t.Fatal(err)
	}
	s.Terminate()
	if d.closeCount() != 1 {
		t.Fatal("Terminate did not close the transport")
	}
	d.setBlocked(false)
	s.Writable()
	if len(d.bytes()) != 0 {
		t.Fatal("backlog or a close frame written after Terminate")
	}
	s.Closed(nil)
	waitClosed(t, rec.closed, "OnClose")
	if r := s.CloseReason(); r.Code != frame.CloseAbnormal {
		t.Fatalf("CloseReason %v, want 1006", r)
	}
}

// TestCloseReasonValidation: Close refuses what cannot be sent.
func TestCloseReasonValidation(t *testing.T) {
	long := string(make([]byte, 124))
	for _, tt := range []struct {
		name string
		r    session.CloseReason
		ok   bool
	}{
		{name: "normal", r: session.CloseReason{Code: frame.CloseNormal, Message: "bye"}, ok: true},
		{name: "no status", r: session.CloseReason{Code: frame.CloseNoStatus}, ok: true},
		{name: "private", r: session.CloseReason{Code: 4000}, ok: true},
		{name: "abnormal", r: session.CloseReason{Code: frame.CloseAbnormal}},
		{name: "no status with message", r: session.CloseReason{Code: frame.CloseNoStatus, Message: "x"}},
		{name: "zero", r: session.CloseReason{}},
		{name: "message too long", r: session.CloseReason{Code: frame.CloseNormal, Message: long}},
		{name: "message not utf8", r: session.CloseReason{Code: frame.CloseNormal, Message: "\xff"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, d, _ := newEventSession(t, session.Config{}, session.RoleServer)
			err := s.Close(tt.r)
			if tt.ok != (err == nil) {
				t.Fatalf("Close(%v) = %v, want ok=%v", tt.r, err, tt.ok)
			}
			if !tt.ok {
				if !errors.Is(err, session.ErrBadCloseReason) {
					t.Fatalf("Close(%v) = %v, want ErrBadCloseReason", tt.r, err)
				}
				if len(d.bytes()) != 0 {
					t.Fatal("a refused close wrote something")
				}
			}
		})
	}
}
