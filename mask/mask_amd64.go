//go:build !purego

package mask

import "golang.org/x/sys/cpu"

// The kernel is chosen from CPU features once, at package initialisation, and
// these are never written afterwards; x/sys/cpu also checks that the OS saves
// the ZMM and YMM state. The AVX-512 kernel needs only AVX512F, and hands
// lengths below one 64-byte vector to the AVX2 kernel, which every AVX-512
// CPU has.
var (
	useAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX2
	useAVX2   = cpu.X86.HasAVX2
)

// xorArch runs the best kernel for this CPU, chosen by useAVX512 and useAVX2.
//
//go:noescape
func xorArch(dst, src *byte, n int, key uint32)

// The kernels compute dst[i] = src[i] ^ byte(key >> (8*(i&3))) for i < n, for
// any n >= 0. dst may equal src; no other overlap is allowed.

//go:noescape
func xorAVX512(dst, src *byte, n int, key uint32)

//go:noescape
func xorAVX2(dst, src *byte, n int, key uint32)

//go:noescape
func xorSSE2(dst, src *byte, n int, key uint32)

// xorSmall serves n < 32 for the kernels above, which jump to it.
//
//go:noescape
func xorSmall(dst, src *byte, n int, key uint32)
