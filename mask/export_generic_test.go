//go:build !(amd64 || arm64) || purego

package mask

func archKernels() []Kernel { return nil }
