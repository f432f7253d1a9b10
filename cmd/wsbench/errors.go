package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
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

// errNotStarted is returned by a worker or agent whose controller called
// the run off before it started.
var errNotStarted = errors.New("run called off before it started")

// errThresholds is returned when a run finished but a threshold failed;
// main exits with 4.
var errThresholds = errors.New("thresholds failed")

// Agent refusals, sent to the controller as an error line.
var (
	errAgentToken = errors.New("agent: wrong token")
	errAgentBusy  = errors.New("agent: busy with another run")
)

// errTemplate is wrapped by every template compile error.
var errTemplate = errors.New("template")

// errThreshold is wrapped by every threshold parse error.
var errThreshold = errors.New("bad threshold")

// Outcomes of a script that stop it early.
var (
	errScriptStop   = errors.New("run ended")        // the run stopped it: not an error
	errScriptAbort  = errors.New("step failed")      // an expect failed or a send did: counted already
	errScriptClosed = errors.New("closed by script") // a close step ran
)

// Error kinds of scenario runs.
const (
	kindExpectTimeout  = "expect_timeout"
	kindExpectClosed   = "expect_closed"
	kindArrivalDropped = "arrival_dropped"

	kindFanoutWrongRoom = "fanout_wrong_room" // a message from another room's publisher
	kindFanoutBadStamp  = "fanout_bad_stamp"  // a stamp naming no publisher of the run
)

// scenarioError is a scenario file error at a line.
type scenarioError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *scenarioError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

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
