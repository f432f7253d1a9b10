//go:build !purego

package mask

// xorArch runs the NEON kernel; Advanced SIMD is part of every arm64 CPU, so
// there is nothing to detect. It inlines to a direct call.
func xorArch(dst, src *byte, n int, key uint32) {
	xorNEON(dst, src, n, key)
}

// xorNEON computes dst[i] = src[i] ^ byte(key >> (8*(i&3))) for i < n, for
// any n >= 0. dst may equal src; no other overlap is allowed.
//
//go:noescape
func xorNEON(dst, src *byte, n int, key uint32)
