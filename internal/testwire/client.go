package testwire

import (
	"fmt"
	"strings"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/mask"
)

// Key is the sample Sec-WebSocket-Key of RFC 6455 §1.3.
const Key = "dGhlIHNhbXBsZSBub25jZQ=="

// MaskKey masks every frame ClientFrame encodes: a fixed key keeps a
// failing test's bytes the same from run to run.
var MaskKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// UpgradeRequest returns a valid opening handshake (RFC 6455 §4.1) for path
// with Key, followed by the extra header lines, each without its CRLF.
func UpgradeRequest(path string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: surge.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n", path)
	fmt.Fprintf(&b, "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n", Key)
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	return b.String() + "\r\n"
}

// AppendFrame appends h and payload as they go on the wire: h's Length is
// set to the payload's, and the payload is masked with h.Key when h.Masked.
// Any header is written as it is, so tests can build frames a peer must
// refuse.
func AppendFrame(dst []byte, h frame.Header, payload []byte) []byte {
	h.Length = int64(len(payload))
	dst = frame.AppendHeader(dst, &h)
	n := len(dst)
	dst = append(dst, payload...)
	if h.Masked {
		mask.XOR(dst[n:], h.Key, 0)
	}
	return dst
}

// ClientFrame encodes one final client frame, masked with MaskKey (§5.3).
func ClientFrame(op frame.Opcode, payload []byte) []byte {
	return AppendFrame(nil, frame.Header{Fin: true, Op: op, Masked: true, Key: MaskKey}, payload)
}
