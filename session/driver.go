package session

import "time"

// Driver moves bytes for one session: the reactor's connection, the portable
// net.Conn driver, or an in-memory test driver. The session never blocks on a
// driver except through Write, and it holds its own lock while calling Write,
// WantWrite and SetTimer, so a driver must not call back into the session from
// inside any Driver method; it reports back later through Session.Feed,
// Session.Writable, Session.Timer and Session.Closed.
type Driver interface {
	// Write hands b to the transport. A non-blocking driver writes what the
	// kernel takes now and returns that count (possibly 0) with a nil error;
	// the session queues the rest and calls WantWrite. A blocking driver
	// writes everything or returns an error.
	Write(b []byte) (int, error)
	// WantWrite asks the driver to call Session.Writable once the transport
	// can take more bytes.
	WantWrite()
	// PauseRead stops (true) or resumes (false) feeding the session, for
	// backpressure: surge stops reading from a peer whose messages wait for a
	// busy handler, or who does not read what it is sent.
	PauseRead(paused bool)
	// SetTimer arms the session's one timer to call Session.Timer after d,
	// replacing any earlier setting; d <= 0 disarms it.
	SetTimer(d time.Duration)
	// CloseTransport closes the connection. The driver then calls
	// Session.Closed exactly once (it may already have, if the peer went
	// first). It may be called more than once.
	CloseTransport()
}
