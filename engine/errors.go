package engine

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// ErrServerClosed is returned by ListenAndServe and Serve after Shutdown or
// Close, by Dial through a closed Dialer, and is the error sessions end with
// when Close drops them.
var ErrServerClosed = errors.New("engine: server closed")

// HandshakeError is returned by Dial when the server did not accept the
// WebSocket upgrade: it answered with another status than 101 Switching
// Protocols, or with a 101 that breaks RFC 6455 §4.1 (a wrong
// Sec-WebSocket-Accept, a subprotocol or extension that was not offered, a
// malformed head). Dial wraps it with the URL.
type HandshakeError struct {
	// StatusCode is the HTTP status the server answered with: 101 when the
	// answer was an upgrade that is not valid, another code (403, 404, ...)
	// when the server refused, 0 when the answer was not HTTP at all.
	StatusCode int
	// Reason says what was wrong, for people.
	Reason string
}

// Error returns "engine: handshake refused with 403 Forbidden"-style text.
func (e *HandshakeError) Error() string {
	if e.StatusCode == 0 {
		return "engine: handshake failed: " + e.Reason
	}
	return "engine: handshake failed with " + strconv.Itoa(e.StatusCode) + ": " + e.Reason
}

var (
	errStarted          = errors.New("engine: server already started")
	errBadScheme        = errors.New("engine: URL scheme must be ws or wss")
	errHandshakeTimeout = errors.New("engine: handshake timeout")
	errNotHijackable    = errors.New("engine: response writer cannot be hijacked")
	// errWriteStalled ends a session whose peer read nothing for its
	// Timeout while frames waited for it; it wraps session.ErrTimeout.
	errWriteStalled = fmt.Errorf("engine: the peer read nothing while frames waited: %w", session.ErrTimeout)
)

// closeGoingAway is the close reason of a server shutting down (§7.4.1).
var closeGoingAway = frame.CloseReason{Code: frame.CloseGoingAway, Reason: "server shutting down"}
