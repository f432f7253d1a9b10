package mask

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// XOR masks or unmasks b in place with key (RFC 6455 §5.3): b[i] ^= key[(pos+i)&3].
//
// pos is the key index of b[0], that is the number of payload bytes of the frame
// processed before b; only pos&3 is used, so a running byte count works as
// well. XOR returns (pos+len(b))&3, the key index for the next chunk of the same
// payload, so a payload split over several reads is handled by threading the
// result into the next call:
//
//	pos := 0
//	for _, chunk := range chunks {
//		pos = mask.XOR(chunk, key, pos)
//	}
//
// XOR does not allocate and is safe for concurrent use on disjoint slices.
func XOR(b []byte, key [4]byte, pos int) int {
	xorCopy(b, b, rotateKey(key, pos))
	return (pos + len(b)) & 3
}

// XORCopy writes src XOR key into dst (RFC 6455 §5.3): dst[i] = src[i] ^
// key[(pos+i)&3] for i < len(src). It fuses copy and unmask, so a payload is
// moved out of a read buffer and unmasked in one pass over memory. pos and the
// result have the same meaning as for [XOR]. Bytes of dst past len(src) are not
// touched.
//
// Like the copy built-in, XORCopy works on len(src) bytes, but unlike copy it
// never truncates: it panics if len(dst) < len(src). dst and src may be the same
// slice (same first element, then it equals [XOR]) but must not otherwise
// overlap; XORCopy panics on such a partial overlap rather than return
// corrupted data.
//
// XORCopy does not allocate and is safe for concurrent use on disjoint slices.
func XORCopy(dst, src []byte, key [4]byte, pos int) int {
	if len(dst) < len(src) {
		panic("mask: XORCopy: len(dst) < len(src)")
	}
	if inexactOverlap(dst[:len(src)], src) {
		panic("mask: XORCopy: dst and src overlap inexactly")
	}
	xorCopy(dst, src, rotateKey(key, pos))
	return (pos + len(src)) & 3
}

// rotateKey returns key as a little-endian uint32 whose first byte is
// key[pos&3], so the kernels can always start at key byte 0 and apply the
// word to every aligned group of four payload bytes.
func rotateKey(key [4]byte, pos int) uint32 {
	k := binary.LittleEndian.Uint32(key[:])
	return bits.RotateLeft32(k, -8*(pos&3))
}

// inexactOverlap reports whether x and y share memory other than starting at
// the same element. Word-at-a-time and vector kernels read ahead of where they
// write, so such an overlap would silently give wrong bytes.
func inexactOverlap(x, y []byte) bool {
	if len(x) == 0 || len(y) == 0 || &x[0] == &y[0] {
		return false
	}
	xs := uintptr(unsafe.Pointer(&x[0]))
	ys := uintptr(unsafe.Pointer(&y[0]))
	return xs < ys+uintptr(len(y)) && ys < xs+uintptr(len(x))
}
