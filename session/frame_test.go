package session_test

import (
	"context"
	"testing"
	"unsafe"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// storage returns the address of the array behind p's capacity, which
// identifies a pooled buffer even when its length is 0.
func storage(p []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(p[:cap(p)])) }

// distinctAfter runs release, then takes two pooled frames and checks they do
// not share storage: a buffer put back twice would be handed out twice.
func distinctAfter(t *testing.T, release func()) {
	t.Helper()
	for i := 0; i < 100; i++ {
		release()
		a, b := session.Text("aaaa"), session.Text("bbbb")
		if storage(a.Payload) == storage(b.Payload) {
			t.Fatalf("iteration %d: two live frames share one buffer", i)
		}
		if a.Text() != "aaaa" || b.Text() != "bbbb" {
			t.Fatalf("iteration %d: payloads %q %q", i, a.Text(), b.Text())
		}
		a.Release()
		b.Release()
	}
}

// TestFrameReleaseTwice: releasing a frame twice, or a copy after the
// original, returns its buffer to the pool once.
func TestFrameReleaseTwice(t *testing.T) {
	distinctAfter(t, func() {
		f := session.Text("hello")
		g := f
		f.Release()
		f.Release()
		g.Release()
		if f.Payload != nil {
			t.Fatal("Release left the payload")
		}
	})
}

// TestFrameReleaseAfterSend: Send takes ownership; a Release of the caller's
// copy afterwards must not put the buffer back a second time.
func TestFrameReleaseAfterSend(t *testing.T) {
	d := &discardDriver{}
	cfg := session.Config{Handler: session.NopHandler{}}
	s := session.New(&cfg, session.RoleServer, d, nil)
	s.Start()
	distinctAfter(t, func() {
		f := session.Text("sent")
		if err := s.Send(context.Background(), f); err != nil {
			t.Fatal(err)
		}
		f.Release()
		f.Release()
	})
}

// TestFrameReleaseIncoming: a frame from Incoming released and then sent
// (or sent twice) does not corrupt the pool.
func TestFrameReleaseIncoming(t *testing.T) {
	d := &discardDriver{}
	cfg := session.Config{}
	s := session.New(&cfg, session.RoleServer, d, nil)
	s.Start()
	distinctAfter(t, func() {
		if err := s.Feed(encodeFrom(session.RoleServer, msg(frame.OpText, "incoming"))); err != nil {
			t.Fatal(err)
		}
		f := <-s.Incoming()
		g := f
		_ = s.Send(context.Background(), f)
		g.Release()
	})
}

// TestFrameClone: a clone owns its own copy.
func TestFrameClone(t *testing.T) {
	f := session.Text("original")
	c := f.Clone()
	if storage(c.Payload) == storage(f.Payload) {
		t.Fatal("Clone shares the buffer")
	}
	f.Release()
	g := session.Text("reused!!")
	if c.Text() != "original" {
		t.Fatalf("clone changed to %q after the original's release", c.Text())
	}
	g.Release()
	c.Release()
	b := []byte("borrowed")
	bc := session.Binary(b)
	cc := bc.Clone()
	b[0] = 'X'
	if string(cc.Payload) != "borrowed" {
		t.Fatal("clone of a borrowed frame aliases the caller's slice")
	}
	cc.Release()
}

// TestFrameCloseReason reads close frames.
func TestFrameCloseReason(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    session.Frame
		want session.CloseReason
	}{
		{name: "code and message", f: session.Close(session.CloseReason{Code: frame.CloseGoingAway, Message: "later"}), want: session.CloseReason{Code: frame.CloseGoingAway, Message: "later"}},
		{name: "no status", f: session.Close(session.CloseReason{Code: frame.CloseNoStatus}), want: session.CloseReason{Code: frame.CloseNoStatus}},
		{name: "bad payload", f: session.Frame{Op: frame.OpClose, Payload: []byte{1}}, want: session.CloseReason{Code: frame.CloseNoStatus}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.CloseReason(); got != tt.want {
				t.Fatalf("CloseReason() = %v, want %v", got, tt.want)
			}
			tt.f.Release()
		})
	}
	if s := (session.CloseReason{Code: frame.CloseNormal, Message: "bye"}).String(); s == "" {
		t.Fatal("empty String")
	}
}

// TestCloseStatus reads codes out of errors.
func TestCloseStatus(t *testing.T) {
	if got := session.CloseStatus(&session.CloseError{Code: 4000}); got != 4000 {
		t.Fatalf("CloseError: %d", got)
	}
	if got := session.CloseStatus(frame.ErrInvalidUTF8); got != frame.CloseInvalidPayload {
		t.Fatalf("ProtocolError: %d", got)
	}
	if got := session.CloseStatus(context.Canceled); got != 0 {
		t.Fatalf("plain error: %d", got)
	}
	if (&session.CloseError{Code: frame.CloseNormal, Reason: "x"}).Error() == "" {
		t.Fatal("empty Error")
	}
}
