// Package handshake implements the WebSocket opening handshake (RFC 6455 §4)
// over bytes that are already buffered, so an event loop can answer an
// upgrade request without a goroutine, a bufio.Reader or a net/http server.
//
// Server side: the loop appends request bytes to a bounded buffer, calls
// [HeaderEnd] (or simply [Upgrade], which reports [ErrIncomplete]) until the
// request head is complete, then [Upgrade] validates it (§4.2.1) and appends
// either the 101 Switching Protocols answer (§4.2.2) or an HTTP error
// response to the caller's output buffer.
//
// Client side: [AppendRequest] writes the upgrade request (§4.1) with a fresh
// Sec-WebSocket-Key and [ParseResponse] checks the server's answer, including
// Sec-WebSocket-Accept ([AcceptKey]).
//
// Parsing uses github.com/gobwas/httphead for the request and status lines,
// header lines, token lists and extension option lists. gobwas/ws's
// Upgrader is not used: it reads through a pooled bufio.Reader from an
// io.ReadWriter, hands hook arguments that are only valid during the hook
// (so keeping the path, host and origin would cost one copy each) and writes
// error responses without "Connection: close". Working on the slice
// directly keeps the common upgrade at one allocation: a single string block
// that holds the request URI, Host and Origin.
//
// Nothing in this package keeps state between calls; all functions are safe
// for concurrent use as long as the buffers and the [Config] passed to them
// are not modified concurrently.
package handshake
