// Package testwire reads RFC 6455 frames off a byte stream, and writes a
// client's handshake and frames, for the tests that play a raw peer of
// surge (engine, conformance, reliability, deflate, bench's attack suite):
// they need the frames exactly as surge wrote them, without a client
// library's checks in between, and to send what no library client would.
package testwire

import (
	"fmt"
	"io"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/mask"
)

// ReadFrame reads one frame from r (RFC 6455 §5.2): its header, as
// frame.DecodeHeader parses it byte by byte as it arrives, then its payload,
// unmasked when the frame is masked (h.Masked tells). A header that does not
// parse is returned as DecodeHeader's error; a payload longer than max is
// refused before any of it is read, so a broken peer cannot make the test
// allocate without bound.
func ReadFrame(r io.Reader, max int64) (frame.Header, []byte, error) {
	var h frame.Header
	var hb [frame.MaxHeaderSize]byte
	got := 0
	for {
		n, need, err := frame.DecodeHeader(hb[:got], &h)
		if err != nil {
			return h, nil, err
		}
		if n > 0 {
			break
		}
		if _, err := io.ReadFull(r, hb[got:got+need]); err != nil {
			return h, nil, err
		}
		got += need
	}
	if h.Length > max {
		return h, nil, fmt.Errorf("testwire: frame of %d bytes, more than %d", h.Length, max)
	}
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(r, p); err != nil {
		return h, nil, err
	}
	if h.Masked {
		mask.XOR(p, h.Key, 0)
	}
	return h, p, nil
}
