//go:build !(amd64 || arm64) || purego

package mask

// xorCopy is the kernel dispatch; without assembly it is the portable kernel.
func xorCopy(dst, src []byte, key uint32) {
	xorGo(dst, src, key)
}
