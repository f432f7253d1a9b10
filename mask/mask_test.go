package mask_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/surgews/surge/mask"
)

// refXOR is the byte-at-a-time definition of RFC 6455 §5.3 every kernel is
// checked against.
func refXOR(dst, src []byte, key [4]byte, pos int) int {
	for i := range src {
		dst[i] = src[i] ^ key[(pos+i)&3]
	}
	return (pos + len(src)) & 3
}

// impl is one way to reach a kernel: each assembly level and the pure-Go one
// directly, and the exported functions with their dispatch.
type impl struct {
	name    string
	xor     func(b []byte, key [4]byte, pos int) int
	xorCopy func(dst, src []byte, key [4]byte, pos int) int
}

func impls() []impl {
	out := []impl{{"exported", mask.XOR, mask.XORCopy}}
	for _, k := range mask.Kernels() {
		out = append(out, impl{k.Name, k.XOR, k.XORCopy})
	}
	return out
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

const (
	maxLen   = 2048
	maxOff   = 8
	guardLen = 64
	guard    = 0xA5
)

// TestKernelsMatchReference proves every implementation equal to refXOR for
// all lengths 0..2048, key positions 0..3 and start offsets 0..7, in place and
// copying, and that nothing outside the target range is written.
func TestKernelsMatchReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	data := randBytes(r, maxLen)
	want := make([]byte, maxLen)
	// Guards on both sides catch writes before dst and past len(src).
	buf := make([]byte, guardLen+maxOff+maxLen+guardLen)
	srcBuf := make([]byte, maxOff+maxLen)

	for _, im := range impls() {
		t.Run(im.name, func(t *testing.T) {
			for n := 0; n <= maxLen; n++ {
				for pos := 0; pos < 4; pos++ {
					wantPos := refXOR(want, data[:n], key, pos)
					for off := 0; off < maxOff; off++ {
						start := guardLen + off
						for i := range buf {
							buf[i] = guard
						}

						b := buf[start : start+n]
						copy(b, data[:n])
						if got := im.xor(b, key, pos); got != wantPos {
							t.Fatalf("XOR n=%d pos=%d off=%d: returned %d, want %d", n, pos, off, got, wantPos)
						}
						if !bytes.Equal(b, want[:n]) {
							t.Fatalf("XOR n=%d pos=%d off=%d: wrong bytes", n, pos, off)
						}
						checkGuards(t, "XOR", buf, start, n)

						for i := range buf {
							buf[i] = guard
						}
						// A different alignment for src than for dst.
						srcOff := (off + 3) % maxOff
						src := srcBuf[srcOff : srcOff+n]
						copy(src, data[:n])
						// dst is longer than src: XORCopy must stop at len(src).
						dst := buf[start : start+n+guardLen/2]
						if got := im.xorCopy(dst, src, key, pos); got != wantPos {
							t.Fatalf("XORCopy n=%d pos=%d off=%d: returned %d, want %d", n, pos, off, got, wantPos)
						}
						if !bytes.Equal(dst[:n], want[:n]) {
							t.Fatalf("XORCopy n=%d pos=%d off=%d: wrong bytes", n, pos, off)
						}
						if !bytes.Equal(src, data[:n]) {
							t.Fatalf("XORCopy n=%d pos=%d off=%d: src modified", n, pos, off)
						}
						checkGuards(t, "XORCopy", buf, start, n)
					}
				}
			}
		})
	}
}

func checkGuards(t *testing.T, op string, buf []byte, start, n int) {
	t.Helper()
	for i, c := range buf {
		if (i < start || i >= start+n) && c != guard {
			t.Fatalf("%s n=%d start=%d: wrote byte %d outside the target", op, n, start, i)
		}
	}
}

// TestChunked checks the documented way to unmask a payload that arrives in
// pieces: threading the returned position gives the same bytes as one call.
func TestChunked(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	key := [4]byte{1, 2, 3, 4}
	for _, im := range impls() {
		t.Run(im.name, func(t *testing.T) {
			for range 200 {
				data := randBytes(r, r.IntN(3000))
				want := make([]byte, len(data))
				refXOR(want, data, key, 0)

				inPlace := bytes.Clone(data)
				copied := make([]byte, len(data))
				pos, posCopy := 0, 0
				for rest := 0; rest < len(data); {
					end := min(len(data), rest+1+r.IntN(300))
					pos = im.xor(inPlace[rest:end], key, pos)
					posCopy = im.xorCopy(copied[rest:end], data[rest:end], key, posCopy)
					rest = end
				}
				if !bytes.Equal(inPlace, want) || !bytes.Equal(copied, want) {
					t.Fatalf("len %d: chunked result differs from one call", len(data))
				}
				if pos != len(data)&3 || posCopy != len(data)&3 {
					t.Fatalf("len %d: final positions %d, %d, want %d", len(data), pos, posCopy, len(data)&3)
				}
			}
		})
	}
}

// TestPos covers the position argument and result: only pos&3 matters, so
// running counts and negative values are fine.
func TestPos(t *testing.T) {
	key := [4]byte{0x10, 0x20, 0x30, 0x40}
	tests := []struct {
		name    string
		pos     int
		n       int
		wantPos int
		first   byte // key byte applied to b[0]
	}{
		{name: "zero", pos: 0, n: 5, wantPos: 1, first: 0x10},
		{name: "one", pos: 1, n: 3, wantPos: 0, first: 0x20},
		{name: "three", pos: 3, n: 1, wantPos: 0, first: 0x40},
		{name: "running count", pos: 1<<20 + 2, n: 7, wantPos: 1, first: 0x30},
		{name: "negative", pos: -1, n: 2, wantPos: 1, first: 0x40},
		{name: "empty keeps pos", pos: 2, n: 0, wantPos: 2},
		{name: "empty from big", pos: 6, n: 0, wantPos: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := make([]byte, tt.n)
			if got := mask.XOR(b, key, tt.pos); got != tt.wantPos {
				t.Errorf("XOR returned %d, want %d", got, tt.wantPos)
			}
			if tt.n > 0 && b[0] != tt.first {
				t.Errorf("XOR b[0] = %#x, want %#x", b[0], tt.first)
			}
			dst := make([]byte, tt.n)
			if got := mask.XORCopy(dst, make([]byte, tt.n), key, tt.pos); got != tt.wantPos {
				t.Errorf("XORCopy returned %d, want %d", got, tt.wantPos)
			}
			if !bytes.Equal(dst, b) {
				t.Errorf("XORCopy gave % x, XOR gave % x", dst, b)
			}
		})
	}
}

// TestXORCopyArgs covers the documented XORCopy contract on its arguments.
func TestXORCopyArgs(t *testing.T) {
	key := [4]byte{9, 8, 7, 6}
	buf := make([]byte, 256)
	tests := []struct {
		name      string
		dst, src  []byte
		wantPanic bool
	}{
		{name: "short dst", dst: make([]byte, 3), src: make([]byte, 4), wantPanic: true},
		{name: "nil dst", dst: nil, src: make([]byte, 1), wantPanic: true},
		{name: "both empty", dst: nil, src: nil},
		{name: "same slice", dst: buf[:100], src: buf[:100]},
		{name: "same start longer dst", dst: buf[:200], src: buf[:100]},
		{name: "dst ahead overlapping", dst: buf[1:101], src: buf[:100], wantPanic: true},
		{name: "dst behind overlapping", dst: buf[:100], src: buf[50:150], wantPanic: true},
		{name: "adjacent", dst: buf[100:200], src: buf[:100]},
		{name: "overlap beyond len(src) only", dst: buf[0:200], src: buf[100:150]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if got := recover() != nil; got != tt.wantPanic {
					t.Fatalf("panicked = %v, want %v", got, tt.wantPanic)
				}
			}()
			want := make([]byte, len(tt.src))
			refXOR(want, tt.src, key, 1)
			mask.XORCopy(tt.dst, tt.src, key, 1)
			if !bytes.Equal(tt.dst[:len(tt.src)], want) {
				t.Fatalf("wrong bytes")
			}
		})
	}
}

// TestNoAllocs gates the hot path: masking must never allocate, whatever the
// size or kernel.
func TestNoAllocs(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	for _, n := range []int{0, 3, 16, 100, 4096, 65536} {
		src := make([]byte, n)
		dst := make([]byte, n)
		pos := 0
		if a := testing.AllocsPerRun(100, func() { pos = mask.XOR(src, key, pos) }); a != 0 {
			t.Errorf("XOR(%d bytes): %v allocs/op, want 0", n, a)
		}
		if a := testing.AllocsPerRun(100, func() { pos = mask.XORCopy(dst, src, key, pos) }); a != 0 {
			t.Errorf("XORCopy(%d bytes): %v allocs/op, want 0", n, a)
		}
	}
}

// TestStackBuffersDoNotEscape checks that the noescape declarations work: a
// caller's local array stays on the stack when passed to the kernels.
func TestStackBuffersDoNotEscape(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	a := testing.AllocsPerRun(100, func() {
		var src, dst [512]byte
		mask.XOR(src[:], key, 0)
		mask.XORCopy(dst[:], src[:], key, 0)
		if dst[0] != 0 {
			panic("double masking must restore zero")
		}
	})
	if a != 0 {
		t.Errorf("%v allocs/op, want 0: buffers escape to the heap", a)
	}
}
