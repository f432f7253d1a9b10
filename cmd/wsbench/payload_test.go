package main

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/surgews/surge/frame"
)

func TestPatternRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		size int
		text bool
	}{
		{name: "header only binary", size: 16},
		{name: "1 KiB binary", size: 1024},
		{name: "1 KiB text", size: 1024, text: true},
		{name: "odd size text", size: 333, text: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newPattern(tc.size, tc.text)
			buf := make([]byte, tc.size)
			for _, seq := range []uint64{0, 1, 63, 64, 1 << 40} {
				p.fill(buf, 7, seq, 123456789)
				if tc.text && !utf8.Valid(buf) {
					t.Fatal("text payload is not UTF-8")
				}
				ts, kind := p.check(7, seq, p.op, buf)
				if kind != "" || ts != 123456789 {
					t.Fatalf("seq %d: kind %q ts %d", seq, kind, ts)
				}
				if _, kind := p.check(8, seq, p.op, buf); kind != kindVerifyPayload && tc.size > headerLen {
					t.Fatalf("payload of another connection verified (kind %q)", kind)
				}
				if _, kind := p.check(7, seq+1, p.op, buf); kind != kindVerifyOrder {
					t.Fatalf("out-of-order payload: kind %q", kind)
				}
			}
			if _, kind := p.check(7, 0, frame.OpPing, buf); kind != kindVerifyOpcode {
				t.Fatalf("wrong opcode: kind %q", kind)
			}
			if _, kind := p.check(7, 0, p.op, buf[:tc.size-1]); kind != kindVerifySize {
				t.Fatalf("short payload: kind %q", kind)
			}
		})
	}
}

// FuzzCheck: a payload verifies if and only if it equals what was sent (the
// reference is bytes.Equal with the original), and check never panics.
func FuzzCheck(f *testing.F) {
	f.Add(uint64(3), uint64(9), uint16(40), byte(1), false)
	f.Add(uint64(0), uint64(0), uint16(0), byte(0x80), true)
	f.Add(uint64(1<<40), uint64(5), uint16(15), byte(0), false)
	f.Fuzz(func(t *testing.T, conn, seq uint64, at uint16, xor byte, text bool) {
		const size = 100
		seq &= 1<<headerBits - 1
		p := newPattern(size, text)
		sent := make([]byte, size)
		p.fill(sent, conn, seq, 987654321)
		got := append([]byte(nil), sent...)
		got[int(at)%size] ^= xor
		_, kind := p.check(conn, seq, p.op, got)
		if (kind == "") != bytes.Equal(got, sent) {
			t.Fatalf("check says %q but equal=%v", kind, bytes.Equal(got, sent))
		}
	})
}

func TestPatternNoAllocs(t *testing.T) {
	p := newPattern(1024, false)
	buf := make([]byte, 1024)
	var seq uint64
	if n := testing.AllocsPerRun(1000, func() {
		p.fill(buf, 3, seq, 42)
		if _, kind := p.check(3, seq, p.op, buf); kind != "" {
			t.Fatal(kind)
		}
		seq++
	}); n != 0 {
		t.Fatalf("%v allocations per fill+check", n)
	}
}

func BenchmarkFillCheck(b *testing.B) {
	for _, size := range []int{16, 1024, 64 << 10} {
		b.Run(sizeName(size), func(b *testing.B) {
			p := newPattern(size, false)
			buf := make([]byte, size)
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for i := 0; b.Loop(); i++ {
				p.fill(buf, 1, uint64(i), 42)
				if _, kind := p.check(1, uint64(i), p.op, buf); kind != "" {
					b.Fatal(kind)
				}
			}
		})
	}
}

func sizeName(n int) string {
	switch {
	case n >= 1<<10:
		return itoa(n>>10) + "KiB"
	}
	return itoa(n) + "B"
}

func itoa(n int) string { return groupDigits(int64(n)) }
