package mask

import "unsafe"

// Kernel is one masking implementation, reachable by tests and benchmarks so
// each can be proved equal to the reference whatever the CPU dispatch picks.
type Kernel struct {
	Name string
	fn   func(dst, src []byte, key uint32)
}

// XOR is [XOR] run on this kernel only.
func (k Kernel) XOR(b []byte, key [4]byte, pos int) int {
	k.fn(b, b, rotateKey(key, pos))
	return (pos + len(b)) & 3
}

// XORCopy is [XORCopy] run on this kernel only, without the argument checks.
func (k Kernel) XORCopy(dst, src []byte, key [4]byte, pos int) int {
	k.fn(dst, src, rotateKey(key, pos))
	return (pos + len(src)) & 3
}

// PureGo is the portable kernel, present on every architecture.
var PureGo = Kernel{Name: "go", fn: xorGo}

// Kernels returns every kernel this machine can run, including PureGo.
func Kernels() []Kernel {
	return append(archKernels(), PureGo)
}

// asmKernel adapts a pointer-based assembly kernel; unsafe.SliceData keeps
// zero lengths testable, since the kernels must not touch memory for n == 0.
func asmKernel(name string, f func(dst, src *byte, n int, key uint32)) Kernel {
	return Kernel{Name: name, fn: func(dst, src []byte, key uint32) {
		f(unsafe.SliceData(dst), unsafe.SliceData(src), len(src), key)
	}}
}
