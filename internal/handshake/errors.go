package handshake

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// ErrIncomplete is returned by [Upgrade] and [ParseResponse] when b does not
// yet hold a complete head (no "\r\n\r\n"); nothing is written and the caller
// should read more bytes. [Upgrade] returns [ErrHeaderTooLarge] instead once b
// reaches [Config.MaxHeaderBytes].
var ErrIncomplete = errors.New("handshake: incomplete HTTP head")

// ErrHeadTooLong is returned by [ReadHead] when the head does not end within
// its limit.
var ErrHeadTooLong = errors.New("handshake: HTTP head too long")

// RejectError is returned by [Upgrade] when it refuses an upgrade request; the
// HTTP error response with Status and Reason (as the body) has then been
// appended to the output buffer. Use [errors.As] to get it and [errors.Is]
// with the Err* values below to tell the cases apart.
type RejectError struct {
	// Status is the HTTP status code sent, 400 to 599.
	Status int
	// Reason is the response body, a short human-readable explanation.
	Reason string
	// Err is the cause when a user hook ([Config.Negotiate]) failed, else nil.
	Err error
}

// Error implements error.
func (e *RejectError) Error() string {
	s := "handshake: " + strconv.Itoa(e.Status) + " " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is a *RejectError with the same Status and
// Reason, so errors.Is(err, ErrExtensionRefused) holds for every refusal by
// [Config.Negotiate] whatever its cause.
func (e *RejectError) Is(target error) bool {
	t, ok := target.(*RejectError)
	return ok && t.Status == e.Status && t.Reason == e.Reason
}

// Unwrap returns the hook error, if any.
func (e *RejectError) Unwrap() error { return e.Err }

// The rejections of [Upgrade]. Each is a *[RejectError] whose Status is the
// status sent (RFC 6455 §4.2.1 says 400 unless stated otherwise).
var (
	// ErrHeaderTooLarge: the head is longer than Config.MaxHeaderBytes.
	ErrHeaderTooLarge = &RejectError{Status: http.StatusRequestHeaderFieldsTooLarge, Reason: "request head too large"}
	// ErrMalformedRequest: the request line or a header line is not valid HTTP/1.1
	// (RFC 9112 §3, §5), including obsolete line folding and control characters.
	ErrMalformedRequest = &RejectError{Status: http.StatusBadRequest, Reason: "malformed HTTP request"}
	// ErrBadHTTPVersion: the request is not HTTP/1.1 or a later 1.x (§4.1 item 2).
	ErrBadHTTPVersion = &RejectError{Status: http.StatusHTTPVersionNotSupported, Reason: "WebSocket requires HTTP/1.1"}
	// ErrBadMethod: the method is not GET (§4.1 item 2). The response carries "Allow: GET".
	ErrBadMethod = &RejectError{Status: http.StatusMethodNotAllowed, Reason: "WebSocket upgrade requires GET"}
	// ErrBadURI: the request-target is neither origin-form nor absolute-form, or has a fragment (§3).
	ErrBadURI = &RejectError{Status: http.StatusBadRequest, Reason: "bad request target"}
	// ErrBadHost: Host is missing, empty or repeated (§4.1 item 4).
	ErrBadHost = &RejectError{Status: http.StatusBadRequest, Reason: "missing or bad Host header"}
	// ErrBadUpgrade: no Upgrade header with the "websocket" token (§4.1 item 5).
	ErrBadUpgrade = &RejectError{Status: http.StatusBadRequest, Reason: "missing or bad Upgrade header"}
	// ErrBadConnection: no Connection header with the "Upgrade" token (§4.1 item 6).
	ErrBadConnection = &RejectError{Status: http.StatusBadRequest, Reason: "missing or bad Connection header"}
	// ErrBadKey: Sec-WebSocket-Key is missing, repeated, or not the base64 of 16 bytes (§4.1 item 7).
	ErrBadKey = &RejectError{Status: http.StatusBadRequest, Reason: "missing or bad Sec-WebSocket-Key header"}
	// ErrMissingVersion: Sec-WebSocket-Version is missing or repeated (§4.1 item 9).
	ErrMissingVersion = &RejectError{Status: http.StatusBadRequest, Reason: "missing Sec-WebSocket-Version header"}
	// ErrUnsupportedVersion: Sec-WebSocket-Version is not 13; the 426 response
	// carries "Sec-WebSocket-Version: 13" (§4.2.2 item 4).
	ErrUnsupportedVersion = &RejectError{Status: http.StatusUpgradeRequired, Reason: "unsupported Sec-WebSocket-Version"}
	// ErrBadProtocols: Sec-WebSocket-Protocol is not a token list (§4.1 item 10).
	ErrBadProtocols = &RejectError{Status: http.StatusBadRequest, Reason: "bad Sec-WebSocket-Protocol header"}
	// ErrBadExtensions: Sec-WebSocket-Extensions is not a valid option list (§9.1).
	ErrBadExtensions = &RejectError{Status: http.StatusBadRequest, Reason: "bad Sec-WebSocket-Extensions header"}
	// ErrTooManyHeaders: a WebSocket header is repeated more than [MaxRepeatedHeaders] times.
	ErrTooManyHeaders = &RejectError{Status: http.StatusBadRequest, Reason: "too many repeated WebSocket headers"}
	// ErrNoProtocol: the endpoint requires a subprotocol
	// ([Config.RouteProtocols]) and the client offered none of its.
	ErrNoProtocol = &RejectError{Status: http.StatusBadRequest, Reason: "no subprotocol this endpoint speaks was offered (Sec-WebSocket-Protocol)"}
	// ErrNotFound: [Config.Route] refused the path.
	ErrNotFound = &RejectError{Status: http.StatusNotFound, Reason: "no WebSocket endpoint at this path"}
	// ErrForbiddenOrigin: [Config.CheckOrigin] refused the request (§4.2.1 item 8, §10.2).
	ErrForbiddenOrigin = &RejectError{Status: http.StatusForbidden, Reason: "origin not allowed"}
	// ErrExtensionRefused: [Config.Negotiate] returned an error that is not a *RejectError.
	ErrExtensionRefused = &RejectError{Status: http.StatusBadRequest, Reason: "extension offer refused"}
	// ErrServerClosed: the server is shutting down; it answers a request that
	// reached it anyway rather than leave the client guessing.
	ErrServerClosed = &RejectError{Status: http.StatusServiceUnavailable, Reason: "server closed"}
	// ErrBadNegotiation: [Config.Negotiate] accepted an extension that was not
	// offered or that cannot be written as a header (§9.1); a server bug, hence 500.
	ErrBadNegotiation = &RejectError{Status: http.StatusInternalServerError, Reason: "extension negotiation failed"}
)

// Errors of the client side.
var (
	// ErrBadClientRequest is returned by [AppendRequest] when a field of
	// [ClientRequest] would not make a valid request (a control character,
	// an empty host, a path not starting with "/", a reserved extra header).
	ErrBadClientRequest = errors.New("handshake: invalid client request")
	// ErrMalformedResponse is returned by [ParseResponse] when the status line
	// or a header line is not valid HTTP/1.1.
	ErrMalformedResponse = errors.New("handshake: malformed HTTP response")
	// ErrResponseUpgrade is returned by [ParseResponse] when the 101 response
	// lacks "Upgrade: websocket" (§4.1, client check 2).
	ErrResponseUpgrade = errors.New("handshake: response lacks Upgrade: websocket")
	// ErrResponseConnection is returned by [ParseResponse] when the 101 response
	// lacks "Connection: Upgrade" (§4.1, client check 3).
	ErrResponseConnection = errors.New("handshake: response lacks Connection: Upgrade")
	// ErrMissingAccept is returned by [ParseResponse] when the 101 response has
	// no Sec-WebSocket-Accept header (§4.1, client check 4).
	ErrMissingAccept = errors.New("handshake: response lacks Sec-WebSocket-Accept")
	// ErrBadAccept is returned by [ParseResponse] when Sec-WebSocket-Accept is
	// not the value derived from our key (§4.1, client check 4).
	ErrBadAccept = errors.New("handshake: wrong Sec-WebSocket-Accept")
	// ErrProtocolNotOffered is returned by [ParseResponse] when the server
	// selected a subprotocol we did not offer, or more than one (§4.1, client check 6).
	ErrProtocolNotOffered = errors.New("handshake: server selected a subprotocol that was not offered")
	// ErrExtensionNotOffered is returned by [ConfirmExtensions] when the
	// server answered with an extension the client did not offer, answered
	// one twice, or answered parameters the client's factory refuses (§9.1).
	ErrExtensionNotOffered = errors.New("handshake: server accepted an extension that was not offered")
	// ErrBadExtensionAnswer is returned by [ConfirmExtensions] for a
	// Sec-WebSocket-Extensions answer that is not a valid option list; it
	// wraps [ErrMalformedResponse].
	ErrBadExtensionAnswer = fmt.Errorf("%w: bad Sec-WebSocket-Extensions", ErrMalformedResponse)
)

// StatusError is returned by [ParseResponse] when the server answered with a
// status other than 101 Switching Protocols (§4.1, client check 1).
type StatusError struct {
	// Code is the HTTP status code, e.g. 403.
	Code int
	// Status is the reason phrase as sent, e.g. "Forbidden".
	Status string
}

// Error implements error.
func (e *StatusError) Error() string {
	return "handshake: server answered " + strconv.Itoa(e.Code) + " " + e.Status
}
