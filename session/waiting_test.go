package session_test

import (
	"testing"
	"time"

	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

// newWaitingSession makes a channel-style server session on a memDriver:
// the kind whose Send waits for room in the backlog under
// BackpressureWait. Event-style sessions, inline or on the worker pool,
// never wait (see TestEventSessionSendNeverWaits).
func newWaitingSession(t testing.TB, cfg session.Config) (*session.Session, seam.Endpoint, *memDriver) {
	t.Helper()
	d := newMemDriver()
	s, ep := startSession(newRoute(&cfg, nil, nil, nil, nil), seam.Server, d, nil)
	return s, ep, d
}

// waitTransportClosed waits until the session has asked d to close the
// transport, then checks the call as wantTransportClosed does: a session on
// the pool answers the peer's close only once its handlers have run.
func waitTransportClosed(t testing.TB, d *memDriver, flush bool, when string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for d.closeCount() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	wantTransportClosed(t, d, flush, when)
}
