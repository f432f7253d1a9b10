package deflate

import (
	"bytes"
	"errors"

	"github.com/klauspost/compress/flate"
	"github.com/surgews/surge/frame"
)

// syncTail is the empty stored block a sync flush ends with; RFC 7692
// §7.2.1 strips it from the wire and the receiver puts it back.
var syncTail = []byte{0x00, 0x00, 0xff, 0xff}

// errNoGain stops a compressor whose output would not be smaller than the
// payload, so the message goes out uncompressed.
var errNoGain = errors.New("deflate: compression does not pay")

// encoder is a compressor and the sink it writes into.
type encoder struct {
	w    *flate.Writer
	out  sink
	bits int
}

// sink appends to the caller's buffer, refusing to grow past max.
type sink struct {
	b   []byte
	max int
}

func (s *sink) Write(p []byte) (int, error) {
	if len(s.b)+len(p) > s.max {
		return 0, errNoGain
	}
	s.b = append(s.b, p...)
	return len(p), nil
}

// EncodeMessage appends the compressed form of payload to dst and returns it
// with frame.Rsv1 (RFC 7692 §7.2.1). It returns dst unchanged with rsv = 0,
// meaning "send as it is", when payload is below Config.Threshold, when
// Config.Compress says no, or when compressing would not make it smaller. dst
// is grown only if its spare capacity is under len(payload)+5 bytes.
//
// Under context takeover the compressor is kept until Idle; otherwise one is
// borrowed from the Factory's pool for this call. The session calls it under
// its send lock, which is also what makes the kept compressor safe.
func (e *Extension) EncodeMessage(dst, payload []byte) (out []byte, rsv byte, err error) {
	s := &e.f.s
	if s.threshold > 0 && len(payload) < s.threshold {
		return dst, 0, nil
	}
	if s.compress != nil && !s.compress(payload) {
		return dst, 0, nil
	}
	enc := e.enc
	if enc == nil {
		enc = e.f.getEncoder(e.encBits)
	}
	start := len(dst)
	// Output may reach len(payload)+5 before the sync tail is cut (an empty
	// message is one byte); past that compressing does not pay.
	enc.out.b, enc.out.max = dst, start+len(payload)+len(syncTail)+1
	_, err = enc.w.Write(payload)
	if err == nil {
		err = enc.w.Flush()
	}
	res := enc.out.b
	enc.out.b = nil
	if err != nil || !bytes.HasSuffix(res[start:], syncTail) || len(res)-start-len(syncTail) >= len(payload) && len(payload) > 0 {
		// The compressor's window now holds bytes the peer will never see:
		// start the next message afresh (a sender may, RFC 7692 §7.2.1).
		e.release(enc, true)
		if err != nil && err != errNoGain {
			return dst, 0, err
		}
		return dst, 0, nil
	}
	e.release(enc, false)
	return res[:len(res)-len(syncTail)], frame.Rsv1, nil
}

// release keeps enc for the next message under context takeover, or gives it
// back. reset drops its window.
func (e *Extension) release(enc *encoder, reset bool) {
	if e.encNCT {
		e.f.putEncoder(enc)
		return
	}
	if reset {
		enc.w.Reset(&enc.out)
	}
	e.enc = enc
}
