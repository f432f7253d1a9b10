package engine

import (
	"io"
	"net"
	"time"
)

// lingerTime bounds how long a connection whose handshake was refused is
// read (and what it sends dropped) after the answer, so that the peer reads
// the answer rather than an RST (RFC 9112 §9.6); net/http waits as long.
const lingerTime = 500 * time.Millisecond

// lingerBytes bounds what a refused connection of the portable driver is
// read for.
const lingerBytes = 1 << 20

// closeLingering closes a portable connection after a refusal was written:
// it shuts down writing where the connection can (TCP, unix, TLS), drops
// what arrives for up to lingerTime, then closes.
func closeLingering(nc net.Conn) {
	if cw, ok := nc.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		_ = nc.SetReadDeadline(time.Now().Add(lingerTime))
		_, _ = io.Copy(io.Discard, io.LimitReader(nc, lingerBytes))
	}
	_ = nc.Close()
}
