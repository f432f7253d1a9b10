// Package stepdecode lets a session decode a received message in bounded
// steps, so that an event loop can serve its other connections between two
// steps of a long decode (a decompression bomb inflating to the message
// limit, typically) instead of stalling them for the whole of it.
//
// It lives under internal/ because its only provider is package deflate and
// its only user package session, and neither may import the other: deflate
// registers [Begin] when it is initialised, as it does push.ShareKey.
package stepdecode

import "github.com/surgews/surge/extension"

// Decoder is one message's decode in progress. It belongs to the goroutine
// that feeds the session, one call at a time.
type Decoder interface {
	// Step decodes up to about n more bytes of output (all that is left
	// when n <= 0) and reports whether the message is complete. On error
	// (frame.ErrMessageTooBig past the limit, or the extension's own for a
	// corrupt payload) the Decoder has released what it held and the
	// caller's dst is the caller's again.
	Step(n int) (done bool, err error)
	// Finish, once Step reported done, returns the decoded message and
	// releases the Decoder. The result follows the ownership rule of
	// extension.Extension's DecodeMessage: dst's array may have moved to
	// the buffer pool, so only the result may be used.
	Finish() []byte
	// Abort releases the Decoder of a decode that will not be finished
	// (its session ended); dst is the caller's again.
	Abort()
}

// Begin starts decoding a message the way e.DecodeMessage(dst, rsv,
// payload, limit) would, and returns nil, nil when e cannot decode in steps
// (the caller then calls DecodeMessage). payload is copied, so the caller
// may reuse it as soon as Begin returns. Package deflate sets it when it is
// initialised; it is nil otherwise.
var Begin func(e extension.Extension, dst []byte, rsv byte, payload []byte, limit int64) (Decoder, error)
