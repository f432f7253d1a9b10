package frame

import (
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// runePrefixes holds every proper prefix (1 to 3 bytes) of the UTF-8
// encoding of every valid code point, built by brute force from
// utf8.EncodeRune so that it depends on nothing in this package.
var runePrefixes = sync.OnceValue(func() map[string]bool {
	m := make(map[string]bool)
	var buf [utf8.UTFMax]byte
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		n := utf8.EncodeRune(buf[:], r)
		for k := 1; k < n; k++ {
			m[string(buf[:k])] = true
		}
	}
	return m
})

// isValidPrefix is the reference for fail-fast behaviour: whether some
// valid UTF-8 text starts with b. Such a text splits into whole characters
// and a proper prefix of one more character, which is at most 3 bytes.
func isValidPrefix(b []byte) bool {
	for k := 0; k < utf8.UTFMax && k <= len(b); k++ {
		if utf8.Valid(b[:len(b)-k]) && (k == 0 || runePrefixes()[string(b[len(b)-k:])]) {
			return true
		}
	}
	return false
}

var utf8Cases = []struct {
	name   string
	in     string
	valid  bool
	failAt int // index of the byte at which byte-wise Write first fails; -1: never
}{
	{"empty", "", true, -1},
	{"ascii", "Hello-World", true, -1},
	{"greek kosme", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", true, -1},
	{"2-byte min U+0080", "\xc2\x80", true, -1},
	{"3-byte min U+0800", "\xe0\xa0\x80", true, -1},
	{"last before surrogates U+D7FF", "\xed\x9f\xbf", true, -1},
	{"first after surrogates U+E000", "\xee\x80\x80", true, -1},
	{"BOM U+FEFF", "\xef\xbb\xbf", true, -1},
	{"noncharacter U+FFFF", "\xef\xbf\xbf", true, -1},
	{"4-byte min U+10000", "\xf0\x90\x80\x80", true, -1},
	{"max U+10FFFF", "\xf4\x8f\xbf\xbf", true, -1},
	{"long ascii", strings.Repeat("abcdefgh", 20), true, -1},
	{"mixed", "Hello, мир! 你好 🌍 " + strings.Repeat("x", 40) + "é", true, -1},
	{"above max F4 90", "\xf4\x90\x80\x80", false, 1},
	{"F5 start", "\xf5\x80\x80\x80", false, 0},
	{"FF byte", "\xff", false, 0},
	{"FE byte", "a\xfe", false, 1},
	{"lone continuation", "\x80", false, 0},
	{"continuation after ascii", "ab\xbf", false, 2},
	{"overlong C0 80", "\xc0\x80", false, 0},
	{"overlong C1 BF", "\xc1\xbf", false, 0},
	{"overlong E0 80", "\xe0\x80\xaf", false, 1},
	{"overlong E0 9F", "\xe0\x9f\xbf", false, 1},
	{"overlong F0 80", "\xf0\x80\x80\xaf", false, 1},
	{"overlong F0 8F", "\xf0\x8f\xbf\xbf", false, 1},
	{"surrogate ED A0 80", "\xed\xa0\x80", false, 1},
	{"surrogate ED BF BF", "\xed\xbf\xbf", false, 1},
	{"missing third byte", "\xe2\x82A", false, 2},
	{"missing fourth byte", "\xf0\x9f\x8c ", false, 3},
	{"truncated 2-byte at end", "\xc3", false, -1},
	{"truncated 3-byte at end", "ab\xe2\x82", false, -1},
	{"truncated 4-byte at end", "\xf0\x9f\x8c", false, -1},
	{"invalid after ascii run", strings.Repeat("a", 70) + "\xff", false, 70},
	{"invalid after valid 4-byte", "\xf0\x9f\x8c\x8d\xc0", false, 4},
	// Autobahn 6.4.x: the fail-fast cases.
	{"autobahn 6.4.1", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80\x65\x64\x69\x74\x65\x64", false, 12},
	{"autobahn 6.4.3", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80", false, 12},
}

func TestValidUTF8(t *testing.T) {
	for _, tt := range utf8Cases {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidUTF8([]byte(tt.in)); got != tt.valid {
				t.Errorf("ValidUTF8 = %v, want %v", got, tt.valid)
			}
			if utf8.ValidString(tt.in) != tt.valid {
				t.Fatalf("bad test case: utf8.ValidString = %v", !tt.valid)
			}
		})
	}
}

func TestUTF8ByteByByte(t *testing.T) {
	for _, tt := range utf8Cases {
		t.Run(tt.name, func(t *testing.T) {
			var u UTF8
			failAt := -1
			for i := 0; i < len(tt.in); i++ {
				if !u.Write([]byte{tt.in[i]}) && failAt < 0 {
					failAt = i
				}
			}
			if failAt != tt.failAt {
				t.Errorf("Write failed at byte %d, want %d", failAt, tt.failAt)
			}
			if u.Final() != tt.valid {
				t.Errorf("Final() = %v, want %v", u.Final(), tt.valid)
			}
		})
	}
}

func TestUTF8Splits(t *testing.T) {
	for _, tt := range utf8Cases {
		t.Run(tt.name, func(t *testing.T) {
			for i := 0; i <= len(tt.in); i++ {
				for j := i; j <= len(tt.in); j++ {
					var u UTF8
					ok := u.Write([]byte(tt.in[:i]))
					ok = u.Write([]byte(tt.in[i:j])) && ok
					ok = u.Write([]byte(tt.in[j:])) && ok
					if ok != (tt.failAt < 0) || u.Final() != tt.valid {
						t.Fatalf("split %d,%d: Write ok %v, Final %v; want %v, %v",
							i, j, ok, u.Final(), tt.failAt < 0, tt.valid)
					}
				}
			}
		})
	}
}

func TestUTF8StickyAndReset(t *testing.T) {
	var u UTF8
	if u.Write([]byte("a\xff")) {
		t.Fatal("Write accepted 0xFF")
	}
	if u.Write([]byte("valid")) || u.Final() {
		t.Error("validator recovered after an invalid byte")
	}
	u.Reset()
	if !u.Write([]byte("\xe2\x82")) || u.Final() {
		t.Error("after Reset: a partial character must be accepted but not final")
	}
	u.Reset()
	if !u.Write([]byte("valid")) || !u.Final() {
		t.Error("after Reset: valid text rejected")
	}
	if !u.Write(nil) || !u.Final() {
		t.Error("empty Write changed the state")
	}
}

// TestUTF8Exhaustive compares with unicode/utf8 on every input of up to
// two bytes and on every three-byte input, and checks fail-fast byte by byte
// on every input of up to two bytes and every three-byte input starting with
// a multi-byte lead.
func TestUTF8Exhaustive(t *testing.T) {
	if testing.Short() {
		t.Skip("exhaustive")
	}
	var b [3]byte
	stream := func(in []byte) {
		var u UTF8
		for i := range in {
			got := u.Write(in[i : i+1])
			if want := isValidPrefix(in[:i+1]); got != want {
				t.Fatalf("% x: Write after %d bytes = %v, want %v", in, i+1, got, want)
			}
		}
		if u.Final() != utf8.Valid(in) {
			t.Fatalf("% x: Final = %v", in, u.Final())
		}
	}
	for x := 0; x < 1<<16; x++ {
		b[0], b[1] = byte(x), byte(x>>8)
		for _, in := range [][]byte{b[:1], b[:2]} {
			if ValidUTF8(in) != utf8.Valid(in) {
				t.Fatalf("% x: ValidUTF8 = %v", in, !utf8.Valid(in))
			}
			stream(in)
		}
	}
	for x := 0; x < 1<<24; x++ {
		b[0], b[1], b[2] = byte(x>>16), byte(x>>8), byte(x)
		if ValidUTF8(b[:]) != utf8.Valid(b[:]) {
			t.Fatalf("% x: ValidUTF8 = %v", b, !utf8.Valid(b[:]))
		}
		if b[0] >= 0xE0 && b[0] <= 0xF4 {
			stream(b[:])
		}
	}
}

// TestUTF8Lengths runs valid and invalid inputs of every length up to 200
// with the bad byte at every position, to cover each way the ASCII fast path
// can hand over to the character loop.
func TestUTF8Lengths(t *testing.T) {
	for n := 0; n <= 200; n++ {
		buf := []byte(strings.Repeat("a", n))
		if !ValidUTF8(buf) {
			t.Fatalf("ascii length %d rejected", n)
		}
		for i := 0; i < n; i++ {
			for _, ins := range []string{"\xff", "é", "\xe2\x82\xac", "\xf0\x9f\x8c\x8d", "\xe2\x82"} {
				in := append(append(append([]byte{}, buf[:i]...), ins...), buf[i:]...)
				if got, want := ValidUTF8(in), utf8.Valid(in); got != want {
					t.Fatalf("%q at %d of %d: ValidUTF8 = %v, want %v", ins, i, n, got, want)
				}
			}
		}
	}
}
