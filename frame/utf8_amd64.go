//go:build amd64 && !purego

package frame

import (
	simd "github.com/segmentio/asm/utf8"
	"golang.org/x/sys/cpu"
)

// simdUTF8 validates whole characters with AVX2 (the lookup-table
// algorithm of Keiser and Lemire, "Validating UTF-8 in less than one
// instruction per byte", 2021), or is nil without AVX2. The purego build
// leaves it out, and CI runs the frame tests that way too, so the scalar
// twin is checked on its own against the same references.
var simdUTF8 = pickSIMD()

func pickSIMD() func([]byte) bool {
	if cpu.X86.HasAVX2 {
		return simd.Valid
	}
	return nil
}
