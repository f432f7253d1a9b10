package frame

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// benchHeaders has one case per length form, masked as a client sends.
var benchHeaders = []struct {
	name string
	h    Header
}{
	{"7bit", Header{Fin: true, Op: OpText, Masked: true, Key: [4]byte{1, 2, 3, 4}, Length: 100}},
	{"16bit", Header{Fin: true, Op: OpBinary, Masked: true, Key: [4]byte{1, 2, 3, 4}, Length: 4096}},
	{"64bit", Header{Fin: true, Op: OpBinary, Masked: true, Key: [4]byte{1, 2, 3, 4}, Length: 1 << 20}},
}

func BenchmarkDecodeHeader(b *testing.B) {
	for _, bc := range benchHeaders {
		wire := AppendHeader(nil, &bc.h)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(wire)))
			var h Header
			for b.Loop() {
				if _, _, err := DecodeHeader(wire, &h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppendHeader(b *testing.B) {
	for _, bc := range benchHeaders {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(bc.h.Size()))
			buf := make([]byte, 0, MaxHeaderSize)
			for b.Loop() {
				buf = AppendHeader(buf[:0], &bc.h)
			}
		})
	}
}

func BenchmarkValidatorCheck(b *testing.B) {
	frames := [...]Header{data(OpText, false, 100), ctl(OpPing, 4), data(OpContinuation, true, 100)}
	b.ReportAllocs()
	var v Validator
	for b.Loop() {
		for i := range frames {
			if err := v.Check(&frames[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkParseClose(b *testing.B) {
	payload := AppendClose(nil, CloseGoingAway, "server is shutting down")
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if _, _, err := ParseClose(payload); err != nil {
			b.Fatal(err)
		}
	}
}

// mixedText returns n bytes of valid text mixing ASCII with 2-, 3- and 4-byte
// characters, cut at a character boundary at or below n.
func mixedText(n int) []byte {
	const phrase = "Hello, мир! Grüße 你好世界 🌍 the quick brown fox; "
	s := strings.Repeat(phrase, n/len(phrase)+1)[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return []byte(s)
}

func BenchmarkUTF8(b *testing.B) {
	sizes := []struct {
		name string
		n    int
	}{{"1KiB", 1 << 10}, {"64KiB", 64 << 10}}
	for _, size := range sizes {
		inputs := []struct {
			kind string
			p    []byte
		}{
			{"ascii", []byte(strings.Repeat("a", size.n))},
			{"mixed", mixedText(size.n)},
		}
		for _, in := range inputs {
			name := fmt.Sprintf("%s-%s", in.kind, size.name)
			b.Run(name+"/surge", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(in.p)))
				for b.Loop() {
					if !ValidUTF8(in.p) {
						b.Fatal("invalid")
					}
				}
			})
			b.Run(name+"/surge-stream", func(b *testing.B) {
				// Fed in 4 KiB chunks, as reads would deliver it.
				b.ReportAllocs()
				b.SetBytes(int64(len(in.p)))
				for b.Loop() {
					var u UTF8
					for p := in.p; len(p) > 0; {
						k := min(len(p), 4096)
						u.Write(p[:k])
						p = p[k:]
					}
					if !u.Final() {
						b.Fatal("invalid")
					}
				}
			})
			b.Run(name+"/stdlib", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(in.p)))
				for b.Loop() {
					if !utf8.Valid(in.p) {
						b.Fatal("invalid")
					}
				}
			})
		}
	}
}
