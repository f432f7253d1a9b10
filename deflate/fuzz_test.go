package deflate_test

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"testing"

	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/frame"
)

// reference inflates p the plain way, with the standard library's inflater
// (not klauspost's, whose reused decoder accepted some corrupt streams, see
// internal/inflate): all of it, then cut at limit.
func reference(p []byte, limit int64) ([]byte, error) {
	r := flate.NewReader(io.MultiReader(bytes.NewReader(p), bytes.NewReader([]byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff})))
	return io.ReadAll(io.LimitReader(r, limit+1))
}

// FuzzDecodeMessage feeds arbitrary payloads to DecodeMessage: it must never
// panic, never return more than limit bytes, and agree with a plain inflate.
func FuzzDecodeMessage(f *testing.F) {
	c, _ := pair(f, deflate.Config{Threshold: -1}, deflate.Config{Threshold: -1})
	for _, m := range [][]byte{nil, []byte("a"), []byte("Hello"), jsonish(300, 1), make([]byte, 5000)} {
		wire, _, _ := c.EncodeMessage(nil, m)
		f.Add(wire, uint16(len(m)))
		f.Add(wire, uint16(len(m)/2))
	}
	f.Add([]byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, uint16(10))
	f.Add([]byte{0x07}, uint16(10))
	f.Add([]byte{0x00, 0x05, 0x00, 0xfa, 0xff, 'H', 'e', 'l', 'l', 'o', 0x00}, uint16(4))
	stateless := deflate.New(deflate.Config{MaxExpansion: -1}).TestExtension(true)
	takeoverCfg := deflate.Config{MaxExpansion: -1, ServerNoContextTakeover: deflate.PolicyAccept, ClientNoContextTakeover: deflate.PolicyAccept}
	f.Fuzz(func(t *testing.T, p []byte, lim uint16) {
		limit := int64(lim)
		_, takeover := pair(t, takeoverCfg, takeoverCfg)
		for _, e := range []*deflate.Extension{stateless, takeover} {
			got, err := e.DecodeMessage(make([]byte, 0, 16), frame.Rsv1, p, limit)
			if err != nil && !errors.Is(err, deflate.ErrCorrupt) && !errors.Is(err, frame.ErrMessageTooBig) {
				t.Fatalf("unexpected error %v", err)
			}
			if int64(len(got)) > limit {
				t.Fatalf("%d bytes out, limit %d", len(got), limit)
			}
			want, rerr := reference(p, limit)
			switch {
			case err == nil && (rerr != nil || !bytes.Equal(got, want)):
				t.Fatalf("decoded %d bytes, reference %d bytes, %v", len(got), len(want), rerr)
			case rerr == nil && int64(len(want)) <= limit && err != nil:
				t.Fatalf("reference inflated %d bytes within limit, DecodeMessage: %v", len(want), err)
			case rerr == nil && int64(len(want)) > limit && !errors.Is(err, frame.ErrMessageTooBig):
				t.Fatalf("over the limit, got %v", err)
			}
		}
		// In small steps (as on an event loop) the result is the same.
		want, werr := stateless.DecodeMessage(nil, frame.Rsv1, p, limit)
		got, _, err := stepped(t, stateless, nil, p, limit, func() int { return 1 + int(lim%61) })
		if (err == nil) != (werr == nil) || !errors.Is(err, werr) || !bytes.Equal(got, want) {
			t.Fatalf("in steps: %d bytes, %v; in one go: %d bytes, %v", len(got), err, len(want), werr)
		}
	})
}

// FuzzRoundTrip compresses arbitrary payloads and inflates them back, twice
// in a row so context takeover is exercised.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("Hello, surge"), true)
	f.Add(jsonish(2000, 3), false)
	f.Add(make([]byte, 3000), true)
	// Factories outlive the iterations, so their compressor pools warm up.
	var factories [2][7]*deflate.Factory
	for tk := range factories {
		for b := range factories[tk] {
			cfg := deflate.Config{Threshold: -1, MaxExpansion: -1, ServerWindowBits: 9 + b, ClientWindowBits: 9 + b, ServerMaxWindowBits: deflate.PolicyPrefer}
			if tk == 1 {
				cfg.ServerNoContextTakeover, cfg.ClientNoContextTakeover = deflate.PolicyAccept, deflate.PolicyAccept
			}
			factories[tk][b] = deflate.New(cfg)
		}
	}
	f.Fuzz(func(t *testing.T, p []byte, takeover bool) {
		tk := 0
		if takeover {
			tk = 1
		}
		fa := factories[tk][len(p)%7]
		resp, s, ok, err := fa.Accept(fa.Offer())
		if !ok || err != nil {
			t.Fatal("negotiation failed")
		}
		c, err := fa.Confirm(resp)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Idle()
		defer c.Idle()
		for i := 0; i < 2; i++ {
			roundTrip(t, s, c, p)
			roundTrip(t, c, s, p)
		}
	})
}
