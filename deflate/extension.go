package deflate

import (
	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/frame"
)

// Extension is permessage-deflate for one session (or, when neither
// direction keeps context, one immutable value shared by many sessions). It
// implements extension.Extension: the session calls EncodeMessage and Idle
// under its send lock and DecodeMessage from its receiving goroutine, so the
// two directions never share state.
type Extension struct {
	f      *Factory
	p      Params
	server bool

	encBits, decBits int  // LZ77 window sizes of each direction
	encNCT, decNCT   bool // each direction starts a fresh window per message

	// enc is the compressor kept between messages under context takeover,
	// nil when idle. Guarded by the session's send lock.
	enc *encoder
	// window is the tail of the inflated stream the peer may refer to
	// (at most 2^decBits bytes) under context takeover. Touched only by
	// DecodeMessage.
	window []byte
}

var _ extension.Extension = (*Extension)(nil)

// Name returns ExtensionName.
func (e *Extension) Name() string { return ExtensionName }

// Rsv returns frame.Rsv1, the bit that marks a compressed message
// (RFC 7692 §6).
func (e *Extension) Rsv() byte { return frame.Rsv1 }

// Params returns the negotiated parameters.
func (e *Extension) Params() Params { return e.p }

// Idle gives the compressor kept for context takeover back to the Factory's
// pool. The next message then starts a fresh LZ77 window, which a sender may
// do at any time (RFC 7692 §7.2.1): the peer keeps its window, and we simply
// do not refer to it. The inflate window is kept, since the peer may still
// refer to it. Call it only where EncodeMessage may be called (under the
// session's send lock).
func (e *Extension) Idle() {
	if e.enc != nil {
		e.f.putEncoder(e.enc)
		e.enc = nil
	}
}

// Holds reports the coder state e keeps between messages: the capacity of its
// inflate window in bytes, and whether it holds a compressor (about 0.8 MiB at
// level 1; docs/deflate.md has the measured figures). It is meant for tests
// and metrics, and must not run concurrently with EncodeMessage or
// DecodeMessage.
func (e *Extension) Holds() (window int, compressor bool) {
	return cap(e.window), e.enc != nil
}
