//go:build !purego

package mask

func archKernels() []Kernel {
	var ks []Kernel
	if useAVX512 {
		ks = append(ks, asmKernel("avx512", xorAVX512))
	}
	if useAVX2 {
		ks = append(ks, asmKernel("avx2", xorAVX2))
	}
	return append(ks, asmKernel("sse2", xorSSE2))
}
