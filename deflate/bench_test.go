package deflate_test

import (
	"errors"
	"testing"

	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/frame"
)

// Run with: go test ./deflate -run ^$ -bench . -benchtime=200ms

func BenchmarkEncode(b *testing.B) {
	for _, m := range allocModes {
		for _, n := range []int{1 << 10, 64 << 10} {
			b.Run(m.name+"/"+sizeName(n), func(b *testing.B) {
				_, s := pair(b, m.cfg, m.cfg)
				msg := jsonish(n, 1)
				wire := make([]byte, 0, n+64)
				b.SetBytes(int64(n))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					var err error
					wire, _, err = s.EncodeMessage(wire[:0], msg)
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(wire))/float64(n), "ratio")
			})
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, m := range allocModes {
		for _, n := range []int{1 << 10, 64 << 10} {
			b.Run(m.name+"/"+sizeName(n), func(b *testing.B) {
				c, s := pair(b, m.cfg, m.cfg)
				msg := jsonish(n, 1)
				// Under context takeover every message refers to the one
				// before, so decode a sequence encoded in order, cycling.
				const seq = 64
				var wires [seq][]byte
				for i := range wires {
					w, _, err := s.EncodeMessage(nil, msg)
					if err != nil {
						b.Fatal(err)
					}
					wires[i] = w
				}
				out := make([]byte, 0, n)
				b.SetBytes(int64(n))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					var err error
					out, err = c.DecodeMessage(out[:0], frame.Rsv1, wires[i%seq], 1<<20)
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkDecodeBomb refuses a decompression bomb: 33 MiB of zeros (33 KiB
// on the wire) against the session's default 32 MiB limit, in one go, as
// the net.Conn driver does (on an event loop the same work is spread over
// 256 KiB steps).
func BenchmarkDecodeBomb(b *testing.B) {
	bomb, rsv, err := deflate.New(deflate.Config{Threshold: -1}).TestExtension(false).EncodeMessage(nil, make([]byte, 33<<20))
	if err != nil || rsv == 0 {
		b.Fatalf("making the bomb: %v", err)
	}
	e := deflate.New(deflate.Config{}).TestExtension(true)
	b.SetBytes(32 << 20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.DecodeMessage(nil, frame.Rsv1, bomb, 32<<20); !errors.Is(err, frame.ErrMessageTooBig) {
			b.Fatalf("the bomb gave %v, want %v", err, frame.ErrMessageTooBig)
		}
	}
}
