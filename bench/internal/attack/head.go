package attack

import (
	"strings"
	"time"

	"github.com/surgews/surge/internal/testwire"
)

// HeadResult is what an oversized handshake head got.
type HeadResult struct {
	Size   int    // bytes in the request head
	Status string // the status line read, or why none was
	Writes string // how sending the head ended: "sent", RST, ...
	End    string // how the answer ended: FIN, RST, open; "—" after a 101
}

// Refused reports whether the server refused the head with a status line
// the client could read and a clean end of stream, the RFC 9112 §9.6
// closing that issue 16 item 7 asks for.
func (r HeadResult) Refused() bool {
	return strings.HasPrefix(r.Status, "HTTP/1.1 4") && r.End == "FIN"
}

// headChunk is the size of the writes the head is sent in: a client still
// writing when the server answers is the case that ends in an RST when the
// server closes with unread bytes.
const headChunk = 512

// OversizedHead sends a valid upgrade request padded with cookie lines to
// size bytes, in 512-byte writes, while reading the answer like a client
// that reads only the status line before it is done, then reads to the end
// of the stream.
func OversizedHead(t Target, size int) (HeadResult, error) {
	cookie := "Cookie: " + strings.Repeat("c", 1000)
	var lines []string
	for n := len(testwire.UpgradeRequest("/")); n < size; n += len(cookie) + 2 {
		lines = append(lines, cookie)
	}
	head := []byte(testwire.UpgradeRequest("/", lines...))
	r := HeadResult{Size: len(head)}
	c, err := dial(t.Addr, 0)
	if err != nil {
		return r, err
	}
	defer c.close()
	werr := make(chan error, 1)
	go func() {
		_ = c.nc.SetWriteDeadline(time.Now().Add(ioWait))
		for b := head; len(b) > 0; {
			n := min(headChunk, len(b))
			if _, err := c.nc.Write(b[:n]); err != nil {
				werr <- err
				return
			}
			b = b[n:]
		}
		werr <- nil
	}()
	status, err := c.statusLine()
	if err != nil {
		r.Status = "none: " + endOf(err)
	} else {
		r.Status = status
	}
	if err := <-werr; err != nil {
		r.Writes = endOf(err)
	} else {
		r.Writes = "sent"
	}
	if strings.HasPrefix(r.Status, "HTTP/1.1 101 ") {
		r.End = "—"
		return r, nil
	}
	r.End = c.end(closeWait)
	return r, nil
}
