package conformance_test

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
)

// pmdResponse is the permessage-deflate agreement of the 12.x and S.D
// cases: no context takeover either way (RFC 7692 §7.1.1), so the peer
// compresses and inflates each message on its own, with the standard
// library, independently of surge's coder.
const pmdResponse = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

// pmdTail is the empty stored block a sender strips from the end of each
// compressed message (RFC 7692 §7.2.1) and a receiver appends back.
var pmdTail = []byte{0x00, 0x00, 0xff, 0xff}

// compress deflates one message as RFC 7692 §7.2.1 describes.
func compress(p []byte) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestSpeed)
	_, _ = w.Write(p)
	_ = w.Flush()
	return bytes.TrimSuffix(b.Bytes(), pmdTail)
}

// inflate reverses compress, refusing output over maxRead.
func inflate(p []byte) ([]byte, error) {
	r := flate.NewReader(io.MultiReader(bytes.NewReader(p), bytes.NewReader(pmdTail)))
	out, err := io.ReadAll(io.LimitReader(r, maxRead+1))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	if len(out) > maxRead {
		return nil, errors.New("inflated message over 64 MiB")
	}
	return out, nil
}
