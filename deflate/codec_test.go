package deflate_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/frame"
)

var modes = []struct {
	name           string
	client, server deflate.Config
}{
	{"no context takeover", deflate.Config{Threshold: -1}, deflate.Config{Threshold: -1}},
	{"context takeover", deflate.Config{Threshold: -1, ServerNoContextTakeover: deflate.PolicyAccept, ClientNoContextTakeover: deflate.PolicyAccept},
		deflate.Config{Threshold: -1, ServerNoContextTakeover: deflate.PolicyAccept, ClientNoContextTakeover: deflate.PolicyAccept}},
	{"context takeover, 9-bit windows", deflate.Config{Threshold: -1, ServerNoContextTakeover: deflate.PolicyAccept, ClientNoContextTakeover: deflate.PolicyAccept, ServerMaxWindowBits: deflate.PolicyPrefer, ServerWindowBits: 9, ClientWindowBits: 9},
		deflate.Config{Threshold: -1, ServerNoContextTakeover: deflate.PolicyAccept, ClientNoContextTakeover: deflate.PolicyAccept, ClientWindowBits: 9}},
	{"level 9, server takeover only", deflate.Config{Threshold: -1, Level: 9, ServerNoContextTakeover: deflate.PolicyAccept},
		deflate.Config{Threshold: -1, Level: 9, ServerNoContextTakeover: deflate.PolicyAccept}},
}

var sizes = []int{0, 1, 100, 16 << 10, 1 << 20}

func TestRoundTrip(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			c, s := pair(t, m.client, m.server)
			for i, n := range sizes {
				for _, kind := range []struct {
					name string
					data []byte
				}{{"json", jsonish(n, uint64(i))}, {"random", randomBytes(n, uint64(i))}} {
					// Twice each way, so context takeover refers back.
					for rep := 0; rep < 2; rep++ {
						roundTrip(t, s, c, kind.data)
						roundTrip(t, c, s, kind.data)
					}
				}
			}
		})
	}
}

func TestContextTakeoverShrinksRepeats(t *testing.T) {
	msg := jsonish(2000, 1)
	takeover := deflate.Config{Threshold: -1, ServerNoContextTakeover: deflate.PolicyAccept, ClientNoContextTakeover: deflate.PolicyAccept}
	c, s := pair(t, takeover, takeover)
	first, _ := roundTrip(t, s, c, msg)
	second, _ := roundTrip(t, s, c, msg)
	if len(second) >= len(first)/4 {
		t.Fatalf("with context takeover a repeated message took %d bytes, the first %d", len(second), len(first))
	}
	// After Idle the server starts a fresh window: no shrink, still decodable.
	s.Idle()
	third, _ := roundTrip(t, s, c, msg)
	if len(third) < len(first)/2 {
		t.Fatalf("after Idle a message took %d bytes, want about %d (fresh window)", len(third), len(first))
	}

	c2, s2 := pair(t, deflate.Config{Threshold: -1}, deflate.Config{Threshold: -1})
	a, _ := roundTrip(t, s2, c2, msg)
	b, _ := roundTrip(t, s2, c2, msg)
	if !bytes.Equal(a, b) {
		t.Fatalf("without context takeover equal messages must compress alike: %d vs %d bytes", len(a), len(b))
	}
}

func TestThresholdAndCompressFunc(t *testing.T) {
	cases := []struct {
		name    string
		cfg     deflate.Config
		msg     []byte
		wantRsv byte
	}{
		{"below default threshold", deflate.Config{}, jsonish(deflate.DefaultThreshold-1, 1), 0},
		{"at default threshold", deflate.Config{}, bytes.Repeat([]byte("ab"), deflate.DefaultThreshold/2), frame.Rsv1},
		{"custom threshold", deflate.Config{Threshold: 1000}, jsonish(999, 1), 0},
		{"negative threshold compresses empty", deflate.Config{Threshold: -1}, nil, frame.Rsv1},
		{"incompressible sent plain", deflate.Config{}, randomBytes(4096, 3), 0},
		{"compress func says no", deflate.Config{Compress: func(p []byte) bool { return p[0] != '{' }}, jsonish(4096, 1), 0},
		{"compress func says yes", deflate.Config{Compress: func(p []byte) bool { return p[0] == '{' }}, jsonish(4096, 1), frame.Rsv1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, s := pair(t, tc.cfg, tc.cfg)
			dst := []byte("keep")
			out, rsv, err := s.EncodeMessage(dst, tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			if rsv != tc.wantRsv {
				t.Fatalf("rsv = %#x, want %#x", rsv, tc.wantRsv)
			}
			if !bytes.HasPrefix(out, []byte("keep")) {
				t.Fatalf("dst prefix lost: %q", out[:min(4, len(out))])
			}
			if rsv == 0 {
				if len(out) != len(dst) {
					t.Fatalf("plain message changed dst to %d bytes", len(out))
				}
				return
			}
			if tc.msg == nil && !bytes.Equal(out[4:], []byte{0x00}) {
				t.Fatalf("empty message compressed to % x, want 00 (RFC 7692 §7.2.3.6)", out[4:])
			}
			got, err := c.DecodeMessage(nil, rsv, out[4:], 1<<20)
			if err != nil || !bytes.Equal(got, tc.msg) {
				t.Fatalf("decode: %v, %d bytes (want %d)", err, len(got), len(tc.msg))
			}
		})
	}
}

// TestRFCExamples decodes the payloads of RFC 7692 §7.2.3.
func TestRFCExamples(t *testing.T) {
	cases := []struct {
		name string
		wire []byte
		want string
	}{
		{"7.2.3.1 Hello", []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, "Hello"},
		{"7.2.3.3 no compression", []byte{0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}, "Hello"},
		{"7.2.3.4 BFINAL set", []byte{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}, "Hello"},
		{"7.2.3.5 two blocks", []byte{0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00}, "Hello"},
		{"7.2.3.6 empty", []byte{0x00}, ""},
	}
	_, s := pair(t, deflate.Config{}, deflate.Config{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.DecodeMessage(nil, frame.Rsv1, tc.wire, 1<<20)
			if err != nil || string(got) != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	// §7.2.3.2: the same message twice with context takeover; the second
	// refers back to the first.
	takeover := deflate.Config{ServerNoContextTakeover: deflate.PolicyAccept, ClientNoContextTakeover: deflate.PolicyAccept}
	_, s = pair(t, takeover, takeover)
	for i, wire := range [][]byte{{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, {0xf2, 0x00, 0x11, 0x00, 0x00}} {
		got, err := s.DecodeMessage(nil, frame.Rsv1, wire, 1<<20)
		if err != nil || string(got) != "Hello" {
			t.Fatalf("message %d: got %q, %v", i, got, err)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	c, s := pair(t, deflate.Config{Threshold: -1}, deflate.Config{Threshold: -1})
	good, _, _ := c.EncodeMessage(nil, jsonish(5000, 2))
	cases := []struct {
		name  string
		wire  []byte
		limit int64
		want  error
	}{
		{"reserved block type", []byte{0x07, 0x00}, 1 << 20, deflate.ErrCorrupt},
		{"truncated", good[:len(good)/2], 1 << 20, deflate.ErrCorrupt},
		{"stored length mismatch", []byte{0x00, 0x05, 0x00, 0x00, 0x00, 'a'}, 1 << 20, deflate.ErrCorrupt},
		{"over the session limit", good, 4999, frame.ErrMessageTooBig},
		{"exactly the session limit", good, 5000, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dst := []byte("mine")
			got, err := s.DecodeMessage(dst, frame.Rsv1, tc.wire, tc.limit)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if err != nil && string(got) != "mine" {
				t.Fatalf("on error dst must come back as it was, got %q", got)
			}
			if code, ok := frame.CloseCodeOf(err); err != nil && !ok {
				t.Fatalf("error %v carries no close code", err)
			} else if errors.Is(err, frame.ErrMessageTooBig) && code != frame.CloseMessageTooBig {
				t.Fatalf("code %d, want 1009", code)
			}
		})
	}
}

func TestDecompressionBomb(t *testing.T) {
	// 16 MiB of zeros deflate to about 16 KiB: a ratio near 1000.
	bomb, rsv, err := deflate.New(deflate.Config{Threshold: -1}).
		TestExtension(false).EncodeMessage(nil, make([]byte, 16<<20))
	if err != nil || rsv == 0 {
		t.Fatalf("making the bomb: %v", err)
	}
	t.Logf("bomb: %d bytes inflating to 16 MiB", len(bomb))
	cases := []struct {
		name       string
		cfg        deflate.Config
		limit      int64
		want       error
		wantBudget int64
	}{
		{"default: no ratio, limit holds", deflate.Config{}, 1 << 20, frame.ErrMessageTooBig, 1 << 20},
		{"default: no ratio, big limit", deflate.Config{}, 32 << 20, nil, 32 << 20},
		{"ratio", deflate.Config{MaxExpansion: 256}, 32 << 20, frame.ErrMessageTooBig, 256 * int64(len(bomb))},
		{"allowance", deflate.Config{MaxExpansion: 1}, 32 << 20, frame.ErrMessageTooBig, deflate.ExpansionAllowance},
		{"ratio off, limit holds", deflate.Config{MaxExpansion: -1}, 1 << 20, frame.ErrMessageTooBig, 1 << 20},
		{"ratio off, big limit", deflate.Config{MaxExpansion: -1}, 32 << 20, nil, 32 << 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := deflate.New(tc.cfg).TestExtension(true)
			if got := s.Budget(len(bomb), tc.limit); got != tc.wantBudget {
				t.Fatalf("budget %d, want %d", got, tc.wantBudget)
			}
			out, err := s.DecodeMessage(nil, frame.Rsv1, bomb, tc.limit)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if err == nil && len(out) != 16<<20 {
				t.Fatalf("inflated %d bytes", len(out))
			}
		})
	}
}
