package bench

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gobwas/ws"
	"github.com/surgews/surge/mask"
)

// masker masks b in place with key, starting at key position pos.
type masker struct {
	name string
	fn   func(b []byte, key [4]byte, pos int)
}

// maskers are the implementations compared, surge first. copy() is not one
// of them: it does not mask, it is the yardstick for moving the bytes at all.
var maskers = []masker{
	{"surge", func(b []byte, key [4]byte, pos int) { mask.XOR(b, key, pos) }},
	{"gobwas", ws.Cipher},
	{"wordloop", wordLoop},
	{"byteloop", byteLoop},
}

// byteLoop is RFC 6455 §5.3 as written: octet i is XORed with key[i mod 4].
// It is the reference every other implementation is checked against.
func byteLoop(b []byte, key [4]byte, pos int) {
	for i := range b {
		b[i] ^= key[(pos+i)&3]
	}
}

// wordLoop is the word-at-a-time idea that gorilla/websocket and lxzan/gws
// use (written here, not copied): with the key repeated into a 64-bit word
// rotated to pos, 8 bytes are XORed per step; the tail goes byte by byte.
func wordLoop(b []byte, key [4]byte, pos int) {
	var k [8]byte
	for i := range k {
		k[i] = key[(pos+i)&3]
	}
	kw := binary.LittleEndian.Uint64(k[:])
	p := b
	for len(p) >= 32 {
		binary.LittleEndian.PutUint64(p[0:], binary.LittleEndian.Uint64(p[0:])^kw)
		binary.LittleEndian.PutUint64(p[8:], binary.LittleEndian.Uint64(p[8:])^kw)
		binary.LittleEndian.PutUint64(p[16:], binary.LittleEndian.Uint64(p[16:])^kw)
		binary.LittleEndian.PutUint64(p[24:], binary.LittleEndian.Uint64(p[24:])^kw)
		p = p[32:]
	}
	for len(p) >= 8 {
		binary.LittleEndian.PutUint64(p, binary.LittleEndian.Uint64(p)^kw)
		p = p[8:]
	}
	done := len(b) - len(p)
	for i := range p {
		p[i] ^= key[(pos+done+i)&3]
	}
}

var maskSizes = []int{8, 64, 512, 1 << 10, 16 << 10, 1 << 20}

func sizeLabel(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

func TestMaskersAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	key := [4]byte{0x12, 0x9a, 0xfe, 0x03}
	lengths := []int{0, 1, 3, 4, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 1000, 4096 + 5}
	for range 200 {
		lengths = append(lengths, rng.IntN(3000))
	}
	for _, m := range maskers {
		t.Run(m.name, func(t *testing.T) {
			for _, n := range lengths {
				for pos := range 4 {
					src := make([]byte, n)
					for i := range src {
						src[i] = byte(rng.Uint32())
					}
					want := append([]byte(nil), src...)
					byteLoop(want, key, pos)
					got := append([]byte(nil), src...)
					m.fn(got, key, pos)
					if string(got) != string(want) {
						t.Fatalf("len %d pos %d: differs from RFC 6455 §5.3 byte loop", n, pos)
					}
				}
			}
		})
	}
}

func TestMaskersDetectBrokenLoop(t *testing.T) {
	// A masker that forgets the key phase must be caught by the comparison
	// above; this keeps that test honest.
	broken := func(b []byte, key [4]byte, _ int) { byteLoop(b, key, 0) }
	b := []byte("abcdefgh")
	want := append([]byte(nil), b...)
	byteLoop(want, [4]byte{1, 2, 3, 4}, 1)
	broken(b, [4]byte{1, 2, 3, 4}, 1)
	if string(b) == string(want) {
		t.Fatal("the reference does not depend on the key position")
	}
}

func TestMaskNoAllocs(t *testing.T) {
	b := make([]byte, 16<<10)
	for _, m := range maskers {
		t.Run(m.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, func() { m.fn(b, [4]byte{1, 2, 3, 4}, 1) }); n != 0 {
				t.Fatalf("%v allocations per call", n)
			}
		})
	}
}

// BenchmarkMask masks in place at each size; "surge-copy" is surge's fused
// copy-and-unmask (what the reactor does when it moves a payload into a
// message buffer), to read beside "copy".
func BenchmarkMask(b *testing.B) {
	key := [4]byte{0x12, 0x9a, 0xfe, 0x03}
	for _, n := range maskSizes {
		buf := make([]byte, n)
		dst := make([]byte, n)
		b.Run(sizeLabel(n), func(b *testing.B) {
			for _, m := range maskers {
				b.Run(m.name, func(b *testing.B) {
					b.ReportAllocs()
					b.SetBytes(int64(n))
					for b.Loop() {
						m.fn(buf, key, 1)
					}
				})
			}
			b.Run("surge-copy", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(n))
				for b.Loop() {
					mask.XORCopy(dst, buf, key, 1)
				}
			})
			b.Run("copy", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(n))
				for b.Loop() {
					copy(dst, buf)
				}
			})
		})
	}
}
