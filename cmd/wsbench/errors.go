package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"syscall"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

var (
	// errUsage is returned for bad flags or arguments; main exits with 2.
	errUsage = errors.New("usage")
	// errNoConnections is returned when not one connection could be opened.
	errNoConnections = errors.New("no connection could be opened")
	// errRunErrors is returned when a run finished but counted errors
	// (verification, dial, early close); main exits with 3.
	errRunErrors = errors.New("run finished with errors")
)

// Error kinds counted in Result.Errors; the names are part of the JSON schema.
const (
	kindDialRefused   = "dial_refused"
	kindDialTimeout   = "dial_timeout"
	kindDialStatus    = "dial_status"
	kindDialHandshake = "dial_handshake"
	kindDialAddr      = "dial_addr_unavailable"
	kindDialFiles     = "dial_too_many_files"
	kindDialOther     = "dial_other"

	kindVerifySize    = "verify_size"
	kindVerifyOpcode  = "verify_opcode"
	kindVerifyHeader  = "verify_header"
	kindVerifyOrder   = "verify_order"
	kindVerifyPayload = "verify_payload"

	kindSend        = "send"
	kindProtocol    = "protocol"
	kindTimeout     = "timeout"
	kindTransport   = "transport"
	kindClosedEarly = "closed_early"
	kindNotAlive    = "not_alive"
	kindUnanswered  = "unanswered"
)

// dialKind classifies a failed engine.Dial.
func dialKind(err error) string {
	var he *engine.HandshakeError
	switch {
	case errors.As(err, &he) && he.StatusCode != 0 && he.StatusCode != http.StatusSwitchingProtocols:
		return kindDialStatus
	case errors.As(err, &he):
		return kindDialHandshake
	case errors.Is(err, syscall.ECONNREFUSED):
		return kindDialRefused
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, os.ErrDeadlineExceeded):
		return kindDialTimeout
	case errors.Is(err, syscall.EADDRNOTAVAIL), errors.Is(err, syscall.EADDRINUSE):
		return kindDialAddr
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return kindDialFiles
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return kindDialTimeout
	}
	return kindDialOther
}

// sessionErrKind classifies the error a session ended with (Handler.OnError).
func sessionErrKind(err error) string {
	var pe *frame.CloseReason
	switch {
	case errors.As(err, &pe):
		return kindProtocol
	case errors.Is(err, session.ErrTimeout):
		return kindTimeout
	}
	return kindTransport
}
