package mask_test

import (
	"fmt"
	"testing"

	"github.com/surgews/surge/mask"
)

var benchSizes = []int{16, 128, 512, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 1 << 20}

// sweepSizes spans the range where a badly chosen threshold or alignment
// step shows up as a throughput cliff.
var sweepSizes = []int{256, 320, 384, 448, 480, 511, 512, 513, 544, 576, 640, 768, 896, 1023, 1024}

var benchKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

func benchInPlace(b *testing.B, sizes []int, off int, f func([]byte, [4]byte, int) int) {
	for _, n := range sizes {
		b.Run(sizeName(n), func(b *testing.B) {
			buf := make([]byte, n+off)[off:]
			b.SetBytes(int64(n))
			b.ReportAllocs()
			pos := 0
			for b.Loop() {
				pos = f(buf, benchKey, pos)
			}
		})
	}
}

func benchCopy(b *testing.B, sizes []int, f func(dst, src []byte, key [4]byte, pos int) int) {
	for _, n := range sizes {
		b.Run(sizeName(n), func(b *testing.B) {
			src := make([]byte, n)
			dst := make([]byte, n)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			pos := 0
			for b.Loop() {
				pos = f(dst, src, benchKey, pos)
			}
		})
	}
}

// BenchmarkXOR measures the exported in-place function with its dispatch.
func BenchmarkXOR(b *testing.B) { benchInPlace(b, benchSizes, 0, mask.XOR) }

// BenchmarkXORUnaligned is BenchmarkXOR on a slice that starts one byte past
// an aligned address, as a payload after a frame header does.
func BenchmarkXORUnaligned(b *testing.B) { benchInPlace(b, benchSizes, 1, mask.XOR) }

// BenchmarkXORSweep looks for a cliff between 256 B and 1 KiB.
func BenchmarkXORSweep(b *testing.B) { benchInPlace(b, sweepSizes, 0, mask.XOR) }

// BenchmarkXORCopy measures the fused copy and unmask.
func BenchmarkXORCopy(b *testing.B) { benchCopy(b, benchSizes, mask.XORCopy) }

// BenchmarkXORPureGo measures the portable kernel on this machine.
func BenchmarkXORPureGo(b *testing.B) { benchInPlace(b, benchSizes, 0, mask.PureGo.XOR) }

// BenchmarkCopy is the memory-speed yardstick: copy of the same sizes.
func BenchmarkCopy(b *testing.B) {
	benchCopy(b, benchSizes, func(dst, src []byte, _ [4]byte, pos int) int {
		copy(dst, src)
		return pos
	})
}

// BenchmarkXORKernel measures each kernel this CPU can run, in place.
func BenchmarkXORKernel(b *testing.B) {
	for _, k := range mask.Kernels() {
		b.Run(k.Name, func(b *testing.B) { benchInPlace(b, benchSizes, 0, k.XOR) })
	}
}

// BenchmarkXORTiny measures payloads of a few bytes (pings, chat messages),
// where the fixed cost of a call dominates.
func BenchmarkXORTiny(b *testing.B) { benchInPlace(b, []int{1, 2, 6, 8, 12}, 0, mask.XOR) }
