package inflate

import (
	"math/rand/v2"
	"testing"
)

// staleTable fills h's tables with entries no init writes, as if an earlier
// tree had left them.
func staleTable(h *huffmanDecoder) {
	if h.chunks == nil {
		h.chunks = new([huffmanNumChunks]uint16)
	}
	for i := range h.chunks {
		h.chunks[i] = 0xffff
	}
	for _, l := range h.links {
		for i := range l {
			l[i] = 0xffff
		}
	}
}

// completeCode returns code lengths of a complete prefix code with n codes
// (2 <= n <= maxNumLit), at most 15 bits long, on random symbols of an
// alphabet of size symbols.
func completeCode(r *rand.Rand, n, symbols int) []int {
	depths := []int{1, 1}
	for len(depths) < n {
		i := r.IntN(len(depths))
		if depths[i] == 15 {
			continue
		}
		depths[i]++
		depths = append(depths, depths[i])
	}
	lengths := make([]int, symbols)
	for i, sym := range r.Perm(symbols)[:n] {
		lengths[sym] = depths[i]
	}
	return lengths
}

// TestInitOverwritesEveryEntry: a complete code rewrites every entry of a
// table that held another tree (upstream's sanity checks, as a test), a
// single code of one bit every other one, and an empty tree clears the
// table (the fix), so no entry of the earlier tree is ever read.
func TestInitOverwritesEveryEntry(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h huffmanDecoder
	for round := range 2000 {
		n := 2 + r.IntN(maxNumLit-1)
		lengths := completeCode(r, n, maxNumLit)
		staleTable(&h)
		if !h.init(lengths) {
			t.Fatalf("round %d: a complete code of %d codes refused", round, n)
		}
		for i, c := range h.chunks {
			if c == 0 || c == 0xffff {
				t.Fatalf("round %d: chunk %d is %#x after a complete code", round, i, c)
			}
		}
		for j, l := range h.links {
			for i, c := range l {
				if c == 0 || c == 0xffff {
					t.Fatalf("round %d: link %d/%d is %#x after a complete code", round, j, i, c)
				}
			}
		}
	}

	staleTable(&h)
	one := make([]int, maxNumDist)
	one[7] = 1
	if !h.init(one) {
		t.Fatal("a single one-bit code refused")
	}
	for i, c := range h.chunks {
		if (i%2 == 1) != (c == 0) {
			t.Fatalf("single code: chunk %d is %#x", i, c)
		}
	}

	staleTable(&h)
	if !h.init(make([]int, maxNumDist)) {
		t.Fatal("an empty tree refused")
	}
	for i, c := range h.chunks {
		if c != 0 {
			t.Fatalf("empty tree: chunk %d is %#x, want 0", i, c)
		}
	}
}
