package frame

import (
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/sys/cpu"
)

// TestUTF8VectorPicked checks that amd64 machines with AVX2 use the vector
// validator, so that the tests below exercise it there (the purego build
// and other architectures run them on the scalar loop alone).
func TestUTF8VectorPicked(t *testing.T) {
	want := runtime.GOARCH == "amd64" && cpu.X86.HasAVX2 && !puregoBuild
	if got := simdUTF8 != nil; got != want {
		t.Fatalf("vector validator in use: %v, want %v", got, want)
	}
}

// vectorBytes are the values that matter at each position after a lead:
// the edges of the continuation range and of every lead's second-byte
// range (RFC 3629 §4), ASCII and the bytes that are never valid.
var vectorBytes = []byte{0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF}

// TestUTF8VectorSequences puts every first byte followed by up to three
// bytes from vectorBytes (two with -short or -race) into texts long enough for the vector validator,
// at the end (where lastBoundary splits off an incomplete character) and
// in the middle, and checks ValidUTF8 against unicode/utf8 and a streaming
// UTF8, cut inside the sequence, against isValidPrefix.
func TestUTF8VectorSequences(t *testing.T) {
	prefix := "é" + strings.Repeat("a", 40) + "日本" // not ASCII at once: the vector path from byte 0
	suffixes := []string{"", "z", strings.Repeat("b", 40), "ü" + strings.Repeat("c", 33), "\xf0\x9f\x8c\x8d"}
	maxDepth := 3
	if testing.Short() || raceBuild {
		suffixes, maxDepth = suffixes[:3], 2
	}
	seq := make([]byte, 0, 4)
	var check func(depth int)
	check = func(depth int) {
		for _, sfx := range suffixes {
			in := append(append(append(make([]byte, 0, 128), prefix...), seq...), sfx...)
			if got, want := ValidUTF8(in), utf8.Valid(in); got != want {
				t.Fatalf("% x: ValidUTF8 = %v, want %v", in, got, want)
			}
			var u UTF8
			cut := len(prefix) + len(seq)/2
			if got, want := u.Write(in[:cut]), isValidPrefix(in[:cut]); got != want {
				t.Fatalf("% x: Write of %d bytes = %v, want %v", in, cut, got, want)
			}
			u.Write(in[cut:])
			if got, want := u.Final(), utf8.Valid(in); got != want {
				t.Fatalf("% x: Final = %v, want %v", in, got, want)
			}
		}
		if depth == maxDepth {
			return
		}
		for _, c := range vectorBytes {
			seq = append(seq, c)
			check(depth + 1)
			seq = seq[:len(seq)-1]
		}
	}
	for first := range 256 {
		seq = append(seq[:0], byte(first))
		check(0)
	}
}

// TestUTF8VectorStream feeds random texts of 1- to 4-byte characters, some
// damaged at one byte, in random pieces, and checks every Write against
// isValidPrefix and ValidUTF8 against unicode/utf8.
func TestUTF8VectorStream(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	chars := []string{"a", "Z", " ", "é", "ж", "ß", "€", "日", "本", "\uffff", "🌍", "\U0010FFFF"}
	rounds := 3000
	if testing.Short() || raceBuild {
		rounds = 300
	}
	for range rounds {
		var b strings.Builder
		for n := rng.IntN(300); b.Len() < n; {
			b.WriteString(chars[rng.IntN(len(chars))])
		}
		in := []byte(b.String())
		if len(in) > 0 && rng.IntN(2) == 0 {
			in[rng.IntN(len(in))] = vectorBytes[rng.IntN(len(vectorBytes))]
		}
		checkUTF8Stream(t, in, func(rest int) int { return min(rest, 1+rng.IntN(80)) })
	}
}

// TestLastBoundary checks the split the vector path relies on: the front
// is whole characters whenever the input is a valid prefix.
func TestLastBoundary(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"a\xc3\xa9", 3},
		{"a\xc3", 1},
		{"a\xe2\x82", 1},
		{"a\xe2\x82\xac", 4},
		{"a\xf0\x9f\x8c", 1},
		{"a\xf0\x9f", 1},
		{"a\xf0\x9f\x8c\x8d", 5},
		{"\x80\x80\x80\x80", 4}, // no lead among the last 3: left to the validator
		{"a\xff", 2},            // never a lead: left to the validator
	}
	for _, tt := range tests {
		if got := lastBoundary([]byte(tt.in)); got != tt.want {
			t.Errorf("lastBoundary(% x) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
