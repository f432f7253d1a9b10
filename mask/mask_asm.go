//go:build (amd64 || arm64) && !purego

package mask

import "unsafe"

// xorCopy is the kernel dispatch: dst[i] = src[i] ^ key byte (i&3) for
// i < len(src), with len(dst) >= len(src) checked by the caller. The kernels
// handle every length themselves, so this inlines into the exported wrappers
// and a call costs one entry into assembly. SliceData keeps empty and nil
// slices valid; the kernels touch no memory when n is 0.
func xorCopy(dst, src []byte, key uint32) {
	xorArch(unsafe.SliceData(dst), unsafe.SliceData(src), len(src), key)
}
