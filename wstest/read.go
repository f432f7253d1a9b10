package wstest

import (
	"testing"
	"time"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// ReadFrame returns the next message from in, waiting at most 10 seconds.
// It fails the test if in is nil (an event-style session has no incoming
// channel), closed (the session ended), or stays empty. The frame is the
// caller's: Release it, or pass it to Send.
func ReadFrame(t testing.TB, in <-chan session.Frame) session.Frame {
	t.Helper()
	if in == nil {
		t.Fatalf("wstest: nil incoming channel (an event-style session has none)")
		return session.Frame{}
	}
	timer := time.NewTimer(defaultTimeout)
	defer timer.Stop()
	select {
	case f, ok := <-in:
		if !ok {
			t.Fatalf("wstest: %v", errEnded)
			return session.Frame{}
		}
		return f
	case <-timer.C:
		t.Fatalf("wstest: %v (waited %v)", errTimeout, defaultTimeout)
		return session.Frame{}
	}
}

// ReadText returns the next message from in, which must be a text message,
// as ReadFrame does; the frame is released.
func ReadText(t testing.TB, in <-chan session.Frame) string {
	t.Helper()
	f := ReadFrame(t, in)
	defer f.Release()
	if f.Op != frame.OpText {
		t.Fatalf("wstest: got a %v message %q, want text", f.Op, clip(f.Payload))
		return ""
	}
	return f.Text()
}

// WaitClosed waits at most 10 seconds for s to end and returns its
// CloseReason (Ktor's closeReason.await()). It fails the test if s is still
// open by then.
func WaitClosed(t testing.TB, s *session.Session) session.CloseReason {
	t.Helper()
	if !waitDone(s, defaultTimeout) {
		t.Fatalf("wstest: session still open after %v", defaultTimeout)
		return session.CloseReason{}
	}
	return s.CloseReason()
}

// clip shortens a payload for a failure message.
func clip(p []byte) string {
	const max = 64
	if len(p) > max {
		return string(p[:max]) + "..."
	}
	return string(p)
}
