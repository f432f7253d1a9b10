//go:build !purego

package mask

func archKernels() []Kernel {
	return []Kernel{asmKernel("neon", xorNEON)}
}
