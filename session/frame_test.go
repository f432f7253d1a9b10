package session_test

import (
	"context"
	"testing"
	"unsafe"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/seam"
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
		a, b := session.CopyText("aaaa"), session.CopyText("bbbb")
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
		f := session.CopyText("hello")
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
	s, _ := newSession(t, session.Config{}, session.NopHandler{}, seam.Server, &discardDriver{}, nil)
	distinctAfter(t, func() {
		f := session.CopyText("sent")
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
	s, ep := newSession(t, session.Config{}, nil, seam.Server, &discardDriver{}, nil)
	distinctAfter(t, func() {
		if err := ep.Feed(encodeFrom(seam.Server, msg(frame.OpText, "incoming"))); err != nil {
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
	f := session.CopyText("original")
	c := f.Clone()
	if storage(c.Payload) == storage(f.Payload) {
		t.Fatal("Clone shares the buffer")
	}
	f.Release()
	g := session.CopyText("reused!!")
	if c.Text() != "original" {
		t.Fatalf("clone changed to %q after the original's release", c.Text())
	}
	g.Release()
	c.Release()
	b := []byte("borrowed")
	bc := session.BorrowBinary(b)
	cc := bc.Clone()
	b[0] = 'X'
	if string(cc.Payload) != "borrowed" {
		t.Fatal("clone of a borrowed frame aliases the caller's slice")
	}
	cc.Release()
}

// TestFrameConstructors: CopyText and CopyBinary make final frames with a
// pooled copy of their argument; BorrowText and BorrowBinary make final
// frames that borrow the caller's slice.
func TestFrameConstructors(t *testing.T) {
	p := []byte("payload")
	for _, tt := range []struct {
		name   string
		f      session.Frame
		op     frame.Opcode
		borrow bool
	}{
		{name: "CopyText", f: session.CopyText("payload"), op: frame.OpText},
		{name: "CopyBinary", f: session.CopyBinary(p), op: frame.OpBinary},
		{name: "BorrowText", f: session.BorrowText(p), op: frame.OpText, borrow: true},
		{name: "BorrowBinary", f: session.BorrowBinary(p), op: frame.OpBinary, borrow: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			if !f.Fin || f.Op != tt.op || f.Rsv1 || f.Rsv2 || f.Rsv3 || f.Text() != "payload" {
				t.Fatalf("got %v fin=%v rsv=%v%v%v %q, want a final %v frame", f.Op, f.Fin, f.Rsv1, f.Rsv2, f.Rsv3, f.Payload, tt.op)
			}
			if shared := storage(f.Payload) == storage(p); shared != tt.borrow {
				t.Fatalf("shares the caller's slice: %v, want %v", shared, tt.borrow)
			}
			f.Release()
			if f.Payload != nil || string(p) != "payload" {
				t.Fatalf("after Release: payload %q, caller's slice %q", f.Payload, p)
			}
		})
	}
	if z := (session.Frame{}); z.Fin || z.Op != frame.OpContinuation {
		t.Fatalf("the zero Frame is %v fin=%v, want a non-final continuation", z.Op, z.Fin)
	}
}

// TestCloseReasonString: a CloseReason reads as its code, the code's name and
// the reason, and as an error with the websocket prefix.
func TestCloseReasonString(t *testing.T) {
	for _, tt := range []struct {
		r    session.CloseReason
		want string
	}{
		{r: session.CloseReason{Code: frame.CloseNormal, Reason: "bye"}, want: "1000 normal closure: bye"},
		{r: session.CloseReason{Code: frame.CloseAbnormal}, want: "1006 abnormal closure"},
		{r: session.CloseReason{Code: 4000, Reason: "app"}, want: "4000 close code 4000: app"},
	} {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
		if got := tt.r.Error(); got != "websocket: "+tt.want {
			t.Errorf("Error() = %q, want %q", got, "websocket: "+tt.want)
		}
	}
}
