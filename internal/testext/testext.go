// Package testext wraps extensions for tests, so that a test can see what
// really crossed the wire encoded rather than trust the negotiation alone.
package testext

import (
	"sync/atomic"

	"github.com/surgews/surge/extension"
)

// Counting wraps an extension.Factory (a deflate.Factory, typically) and
// counts, over every session it negotiates, the messages its extensions
// encoded with RSV bits set (compressed, for permessage-deflate) and the
// messages they decoded.
type Counting struct {
	extension.Factory
	Encoded atomic.Int64
	Decoded atomic.Int64
}

// Accept wraps the extension the factory accepts.
func (c *Counting) Accept(offer []extension.Param) ([]extension.Param, extension.Extension, bool, error) {
	resp, e, ok, err := c.Factory.Accept(offer)
	if ok {
		e = counted{e, c}
	}
	return resp, e, ok, err
}

// Confirm wraps the extension the factory confirms.
func (c *Counting) Confirm(resp []extension.Param) (extension.Extension, error) {
	e, err := c.Factory.Confirm(resp)
	if err != nil {
		return nil, err
	}
	return counted{e, c}, nil
}

// counted is one session's extension, counting into c.
type counted struct {
	extension.Extension
	c *Counting
}

func (e counted) EncodeMessage(dst, p []byte) ([]byte, byte, error) {
	out, rsv, err := e.Extension.EncodeMessage(dst, p)
	if rsv != 0 {
		e.c.Encoded.Add(1)
	}
	return out, rsv, err
}

func (e counted) DecodeMessage(dst []byte, rsv byte, p []byte, limit int64) ([]byte, error) {
	e.c.Decoded.Add(1)
	return e.Extension.DecodeMessage(dst, rsv, p, limit)
}

// Inner returns the extension a Counting wrapped as e, or e itself.
func Inner(e extension.Extension) extension.Extension {
	if c, ok := e.(counted); ok {
		return c.Extension
	}
	return e
}
