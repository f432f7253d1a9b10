package handshake

import (
	"bytes"
	"io"
)

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

// ReadHead reads from r until what it read holds a whole HTTP head and
// returns all of it: the head and whatever followed it in the same reads (the
// first frames, which belong to the caller). It fails with [ErrHeadTooLong]
// when the head is longer than max bytes, and with the read error when the
// stream ends or fails first. It serves the client side of the handshake on
// a blocking net.Conn; the reactor collects heads itself.
func ReadHead(r io.Reader, max int) ([]byte, error) {
	var head []byte
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		head = append(head, buf[:n]...)
		if end := HeaderEnd(head); end >= 0 && end <= max {
			return head, nil
		}
		if len(head) > max {
			return nil, ErrHeadTooLong
		}
		if err != nil {
			return nil, err
		}
	}
}
