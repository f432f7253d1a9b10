package session

import (
	"errors"
	"fmt"

	"github.com/surgews/surge/frame"
)

// CloseError reports that the session ended with a close handshake or a
// failure; Code and Reason are what was sent or received (RFC 6455 §7.1.5).
type CloseError struct {
	Code   frame.CloseCode
	Reason string
}

// Error returns "websocket closed: 1000 normal: reason"-style text.
func (e *CloseError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("websocket closed: %d %s", uint16(e.Code), e.Code)
	}
	return fmt.Sprintf("websocket closed: %d %s: %s", uint16(e.Code), e.Code, e.Reason)
}

// CloseStatus returns the close code carried by err: from a *CloseError, or
// from a *frame.ProtocolError. It returns 0 when err carries none.
func CloseStatus(err error) frame.CloseCode {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	if c, ok := frame.CloseCodeOf(err); ok {
		return c
	}
	return 0
}

var (
	// ErrBacklogFull is returned by Send under BackpressureDrop when the
	// outgoing backlog is over its limit; the frame was not sent.
	ErrBacklogFull = errors.New("session: outgoing backlog full, frame dropped")

	// ErrControlTooLong is returned by Send for a ping or pong payload over 125
	// bytes (RFC 6455 §5.5).
	ErrControlTooLong = errors.New("session: control frame payload longer than 125 bytes")

	// ErrFrameReleased is returned by Send for a frame whose pooled payload
	// was already released or sent: a copy of a frame given to Send before,
	// whose buffer may by now hold someone else's bytes.
	ErrFrameReleased = errors.New("session: frame already sent or released")

	// ErrBadOpcode is returned by Send for a frame whose opcode is not one of
	// text, binary, continuation, close, ping or pong.
	ErrBadOpcode = errors.New("session: frame opcode cannot be sent")

	// ErrBadCloseReason is returned by Close for a code that may not be sent
	// (RFC 6455 §7.4) or a message that is too long or not UTF-8.
	ErrBadCloseReason = errors.New("session: close code or message cannot be sent")

	// ErrTimeout is the error behind a session closed because the peer did not
	// answer a ping or a close within the session's Timeout.
	ErrTimeout = errors.New("session: peer did not answer in time")

	// ErrWouldBlock is returned by Flush called from an inline handler when
	// the kernel did not take everything: the event loop writes the rest
	// once the handler returns.
	ErrWouldBlock = errors.New("session: flush would block the event loop")

	// ErrHandlerPanic is the error behind a session closed with 1011 because
	// its handler panicked.
	ErrHandlerPanic = errors.New("session: handler panicked")
)

func asProtocol(err error, pe **frame.ProtocolError) bool { return errors.As(err, pe) }
