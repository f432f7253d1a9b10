package deflate_test

import (
	"testing"

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
