package handshake

import "github.com/gobwas/httphead"

// DefaultMaxHeaderBytes is the request head limit used when
// [Config.MaxHeaderBytes] is zero. 8 KiB matches the common proxy default
// (nginx large_client_header_buffers) so a browser request with cookies fits,
// while a handshake buffer per pending connection stays small.
const DefaultMaxHeaderBytes = 8 << 10

// MaxRepeatedHeaders is how many times Sec-WebSocket-Protocol or
// Sec-WebSocket-Extensions may each appear in one request. Repeating them is
// legal (§4.1 items 10 and 11 allow several header lines); the bound keeps
// the parser's bookkeeping on the stack.
const MaxRepeatedHeaders = 8

// Config is the server-side policy of [Upgrade]. The zero value accepts any
// origin and any path, selects no subprotocol, negotiates no extension and
// keeps no extra header. Upgrade only reads a Config, so one Config may be
// shared by all event loops; its hooks are then called concurrently.
type Config struct {
	// MaxHeaderBytes bounds the request head, "\r\n\r\n" included. A longer
	// head is answered with 431. Zero means [DefaultMaxHeaderBytes].
	MaxHeaderBytes int

	// CheckOrigin decides whether to accept the request; false answers 403.
	// It runs after the request is fully validated, so r is complete. r is
	// passed by value: a pointer handed to an unknown function would move
	// the whole result to the heap on every upgrade.
	//
	// Nil accepts every origin. Browsers send cookies with cross-site
	// WebSocket requests, so a server that authenticates by cookie must set
	// CheckOrigin (RFC 6455 §10.2) or it is open to cross-site WebSocket
	// hijacking.
	CheckOrigin func(r Request) bool

	// Protocols lists the subprotocols the server speaks, most preferred
	// first. The first one of them that the client offered is selected
	// (server preference, RFC 6455 §4.2.2 item 5.4 lets the server choose).
	// Matching is exact (case-sensitive). No match selects none, which is
	// not an error: the client decides whether to go on.
	Protocols []string

	// KeepHeaders names the request headers (any case) to copy into
	// [Request.Header]; each kept value costs an allocation.
	KeepHeaders []string

	// Route reports whether a WebSocket endpoint exists at path (the escaped
	// path, without the query); false answers 404. Nil accepts every path.
	Route func(path string) bool

	// RouteProtocols returns the subprotocols of the endpoint at path, most
	// preferred first, or nil when it has none of its own (then Protocols
	// applies). An endpoint with protocols of its own requires one: a client
	// that offers none of them is answered [ErrNoProtocol] (400) rather than
	// upgraded into a conversation the endpoint does not speak.
	RouteProtocols func(path string) []string

	// Negotiate receives the parsed Sec-WebSocket-Extensions offers, in the
	// client's order (RFC 6455 §9.1), and returns those the server accepts,
	// with the parameters to send back. offers and its byte slices are owned
	// by the [Request] and stay valid. An accepted option must carry the name
	// of an offered one, else the handshake fails with [ErrBadNegotiation].
	// A *[RejectError] error is sent as is; any other error answers 400 with
	// [ErrExtensionRefused] wrapping it.
	//
	// Nil accepts no extension and does not even parse the offers, so
	// [Request.Extensions] stays nil: a server without extensions pays
	// nothing for the permessage-deflate offer every browser sends.
	Negotiate func(offers []httphead.Option) (accepted []httphead.Option, err error)
}

func (c *Config) maxHeaderBytes() int {
	if c.MaxHeaderBytes > 0 {
		return c.MaxHeaderBytes
	}
	return DefaultMaxHeaderBytes
}
