package handshake

import (
	"net/http"

	"github.com/gobwas/httphead"
)

// Request is what [Upgrade] keeps of an upgrade request. Path, RawQuery,
// Host, Origin and the Protocols strings share one allocation; nothing in a
// Request aliases the caller's buffer, so a session may keep it after the
// buffer is reused.
type Request struct {
	// Path is the request path as sent (still percent-escaped), without the
	// query; "/" for an absolute-form target without a path.
	Path string
	// RawQuery is the query without the "?", as sent; "" if none.
	RawQuery string
	// Host is the Host header value (§4.1 item 4), or the authority of an
	// absolute-form target, which takes precedence (RFC 9112 §3.2.2).
	Host string
	// Origin is the Origin header value, "" if absent (§4.1 item 8).
	Origin string
	// Protocols are the offered subprotocols in the client's order (§4.1
	// item 10); nil when none is offered.
	Protocols []string
	// Extensions are the offered extensions in the client's order (§9.1);
	// nil when none is offered or when [Config.Negotiate] is nil.
	Extensions []httphead.Option
	// Header holds the headers named in [Config.KeepHeaders] that were
	// present, under canonical keys; nil when none was.
	Header http.Header
	// Key is Sec-WebSocket-Key as received (§4.1 item 7).
	Key [KeyLen]byte
}

// Result is the outcome of a successful [Upgrade].
type Result struct {
	// Request describes the accepted request.
	Request Request
	// Protocol is the selected subprotocol, one of [Config.Protocols], or "".
	Protocol string
	// Extensions are the accepted extensions, as returned by
	// [Config.Negotiate] and sent in the response; nil if none.
	Extensions []httphead.Option
	// HeadLen is the length of the request head in b. Bytes after it were
	// sent ahead of the 101 response and are the first WebSocket frames.
	HeadLen int
}
