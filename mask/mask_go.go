package mask

import "encoding/binary"

// xorGo is the portable kernel: dst[i] = src[i] ^ byte(key >> (8*(i&3))) for
// i < len(src). It is the only kernel on architectures without assembly and
// with the purego tag, and it is also compiled on amd64 and arm64 so tests and
// benchmarks can compare it with the assembly there. dst may start at src (in
// place) because every word is read before it is written. len(dst) must be at
// least len(src).
//
// binary.LittleEndian loads and stores compile to single unaligned moves on
// the 64-bit targets that matter, and keep the byte order right on big-endian
// ones; eight words per iteration hide the loop overhead.
func xorGo(dst, src []byte, key uint32) {
	k := uint64(key) | uint64(key)<<32
	dst = dst[:len(src)]
	for len(src) >= 64 {
		d, s := dst[:64], src[:64]
		binary.LittleEndian.PutUint64(d[0:], binary.LittleEndian.Uint64(s[0:])^k)
		binary.LittleEndian.PutUint64(d[8:], binary.LittleEndian.Uint64(s[8:])^k)
		binary.LittleEndian.PutUint64(d[16:], binary.LittleEndian.Uint64(s[16:])^k)
		binary.LittleEndian.PutUint64(d[24:], binary.LittleEndian.Uint64(s[24:])^k)
		binary.LittleEndian.PutUint64(d[32:], binary.LittleEndian.Uint64(s[32:])^k)
		binary.LittleEndian.PutUint64(d[40:], binary.LittleEndian.Uint64(s[40:])^k)
		binary.LittleEndian.PutUint64(d[48:], binary.LittleEndian.Uint64(s[48:])^k)
		binary.LittleEndian.PutUint64(d[56:], binary.LittleEndian.Uint64(s[56:])^k)
		dst, src = dst[64:], src[64:]
	}
	for len(src) >= 8 {
		binary.LittleEndian.PutUint64(dst, binary.LittleEndian.Uint64(src)^k)
		dst, src = dst[8:], src[8:]
	}
	xorTail(dst, src, key)
}

// xorTail handles the last seven bytes or fewer. It shifts the key so each
// byte takes the key byte for its position.
func xorTail(dst, src []byte, key uint32) {
	if len(src) >= 4 {
		binary.LittleEndian.PutUint32(dst, binary.LittleEndian.Uint32(src)^key)
		dst, src = dst[4:], src[4:]
	}
	dst = dst[:len(src)]
	for i := range src {
		dst[i] = src[i] ^ byte(key)
		key >>= 8
	}
}
