package session

import (
	"errors"
	"fmt"
)

var (
	// ErrBacklogFull is returned by Send under BackpressureDrop when the
	// outgoing backlog is over its limit; the frame was not sent.
	ErrBacklogFull = errors.New("session: outgoing backlog full, frame dropped")

	// ErrInvalidFrame is returned by Send, and by Close, for a frame or close
	// reason the peer would have to reject, or one that may hold someone
	// else's bytes; nothing was sent. The error wraps it with the cause.
	ErrInvalidFrame = errors.New("session: invalid frame")

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

// The causes of ErrInvalidFrame, made once so that returning them allocates
// nothing.
var (
	errFrameReleased     = invalid("a pooled frame already sent or released")
	errBadOpcode         = invalid("opcode is not text, binary, continuation, close, ping or pong")
	errControlTooLong    = invalid("control frame payload longer than 125 bytes")
	errBadCloseReason    = invalid("close code may not be sent, or reason too long or not UTF-8")
	errControlFragmented = invalid("control frame without Fin")
	errReservedBits      = invalid("RSV bits that no negotiated extension owns, or on a continuation")
	errFragmentOrder     = invalid("continuation without a fragmented message, or a new message inside one")
	errCodecNotUTF8      = invalid("a text Codec produced bytes that are not UTF-8")
	errCodecFrameType    = invalid("message of another frame type than the Codec's, or a fragment")
)

// errReceiveEvents is returned by Receive on an event-style session.
var errReceiveEvents = errors.New("session: Receive needs a channel-style session (Incoming); event handlers call Decode in OnMessage")

func invalid(cause string) error { return fmt.Errorf("%w: %s", ErrInvalidFrame, cause) }
