package handshake

import "bytes"

// HeaderEnd returns the index just past the "\r\n\r\n" that ends the HTTP
// head at the start of b, or -1 if the head is not complete yet. Bytes after
// that index belong to the next protocol (WebSocket frames).
//
// A bare "\n\n" is not accepted as the end: RFC 9112 §2.2 lets a recipient
// accept a lone LF, but no WebSocket client sends one, and treating it as
// malformed keeps request smuggling out.
func HeaderEnd(b []byte) int {
	i := bytes.Index(b, []byte("\r\n\r\n"))
	if i < 0 {
		return -1
	}
	return i + 4
}
