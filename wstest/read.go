package wstest

import (
	"time"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// ReadFrame returns the next message from in, waiting at most DefaultTimeout.
// It fails the test if in is nil (an event-style session has no incoming
// channel), closed (the session ended), or stays empty. The frame is the
// caller's: Release it, or pass it to Send.
func ReadFrame(t TB, in <-chan session.Frame) session.Frame {
	t.Helper()
	if in == nil {
		t.Fatalf("wstest: nil incoming channel (an event-style session has none)")
		return session.Frame{}
	}
	timer := time.NewTimer(DefaultTimeout)
	defer timer.Stop()
	select {
	case f, ok := <-in:
		if !ok {
			t.Fatalf("wstest: %v", errEnded)
			return session.Frame{}
		}
		return f
	case <-timer.C:
		t.Fatalf("wstest: %v (waited %v)", errTimeout, DefaultTimeout)
		return session.Frame{}
	}
}

// ReadText returns the next message from in, which must be a text message,
// as ReadFrame does; the frame is released.
func ReadText(t TB, in <-chan session.Frame) string {
	t.Helper()
	f := ReadFrame(t, in)
	defer f.Release()
	if f.Op != frame.OpText {
		t.Fatalf("wstest: got a %v message %q, want text", f.Op, clip(f.Payload))
		return ""
	}
	return f.Text()
}

// ReadBinary returns a copy of the next message from in, which must be a
// binary message, as ReadFrame does; the frame is released.
func ReadBinary(t TB, in <-chan session.Frame) []byte {
	t.Helper()
	f := ReadFrame(t, in)
	defer f.Release()
	if f.Op != frame.OpBinary {
		t.Fatalf("wstest: got a %v message %q, want binary", f.Op, clip(f.Payload))
		return nil
	}
	return append([]byte{}, f.Payload...)
}

// WaitClosed waits at most DefaultTimeout for s to end and returns its
// CloseReason (Ktor's closeReason.await()). It fails the test if s is still
// open by then.
func WaitClosed(t TB, s *session.Session) session.CloseReason {
	t.Helper()
	if !waitDone(s, DefaultTimeout) {
		t.Fatalf("wstest: session still open after %v", DefaultTimeout)
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
