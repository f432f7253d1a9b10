package frame

import (
	"encoding/binary"
	"math/bits"
)

// UTF8 is a streaming UTF-8 validator for text messages (RFC 6455 §5.6,
// §8.1). It carries the state of a character split across fragments or reads,
// and fails at the first byte that no valid continuation could redeem:
// invalid start bytes, overlong forms (C0, C1, E0 80, F0 80), surrogates
// (ED A0-BF) and code points above U+10FFFF (F4 90, F5-FF) are all rejected as
// soon as they are seen, not at the end of the message.
//
// The zero value is ready to use and validates a new stream. A UTF8 is 4
// bytes and not safe for concurrent use.
type UTF8 struct {
	rem    uint8 // continuation bytes the current character still needs
	lo, hi uint8 // accepted range of the next byte while rem > 0
	bad    bool  // the stream is invalid; sticky until Reset
}

// Write feeds p to the validator. It returns false as soon as the bytes seen
// so far are no prefix of any valid UTF-8 text, and false for every call after
// that until [UTF8.Reset]. It allocates nothing and does not retain p.
func (u *UTF8) Write(p []byte) bool {
	if u.bad {
		return false
	}
	for u.rem > 0 {
		if len(p) == 0 {
			return true
		}
		if c := p[0]; c < u.lo || c > u.hi {
			u.bad = true
			return false
		}
		u.lo, u.hi = locb, hicb
		u.rem--
		p = p[1:]
	}
	tail, ok := scanUTF8(p)
	if !ok {
		u.bad = true
		return false
	}
	if k := len(p) - tail; k > 0 {
		x := utf8First[p[tail]]
		u.rem = x&7 - uint8(k)
		if k == 1 {
			r := utf8Accept[x>>4]
			u.lo, u.hi = r.lo, r.hi
		} else {
			u.lo, u.hi = locb, hicb
		}
	}
	return true
}

// Final reports whether the stream is valid and ends on a complete character.
// Call it at the end of a message: a message may not end inside a character.
func (u *UTF8) Final() bool { return !u.bad && u.rem == 0 }

// Reset makes u ready for a new stream.
func (u *UTF8) Reset() { *u = UTF8{} }

// ValidUTF8 reports whether p is entirely valid UTF-8. It agrees with
// [unicode/utf8.Valid]. It checks ASCII up to 64 bytes at a time, and on
// amd64 with AVX2 hands text that is not plain ASCII to the vector
// validator of github.com/segmentio/asm (6–10 times the standard
// library's speed on such text; docs/benchmarks-codec.md). It allocates
// nothing.
func ValidUTF8(p []byte) bool {
	tail, ok := scanUTF8(p)
	return ok && tail == len(p)
}

const (
	hiBits = 0x8080808080808080 // the top bit of each byte in a word
	locb   = 0x80               // lowest continuation byte
	hicb   = 0xBF               // highest continuation byte
)

// scanUTF8 validates p. ok is false if p is no prefix of valid UTF-8.
// Otherwise tail is the index of an incomplete final character whose bytes
// so far are valid, or len(p) if p ends on a character boundary.
func scanUTF8(p []byte) (tail int, ok bool) {
	n := len(p)
	// Fixing the capacity spares the compiler recomputing it on every
	// reslice below (the same trick as unicode/utf8).
	whole := p[:n:n]
	p = whole
	for len(p) > 0 {
		if p[0] < 0x80 {
			// Text is mostly ASCII runs: find the next non-ASCII byte a word
			// at a time. A run that fills one word is likely long, so then
			// try 32 and 64 bytes per step; short runs between non-ASCII
			// characters never pay for the wide loads.
			for {
				if len(p) < 8 {
					// Fewer than 8 bytes left: one load of the last word
					// of the input covers them, shifting out the bytes
					// before p, which were checked already.
					if len(p) == 0 {
						return n, true
					}
					if n < 8 {
						for len(p) > 0 && p[0] < 0x80 {
							p = p[1:]
						}
						if len(p) == 0 {
							return n, true
						}
						break
					}
					m := word(whole[n-8:]) >> (64 - 8*uint(len(p))) & hiBits
					if m == 0 {
						return n, true
					}
					p = p[bits.TrailingZeros64(m)>>3:]
					break
				}
				if m := word(p) & hiBits; m != 0 {
					p = p[bits.TrailingZeros64(m)>>3:]
					break
				}
				p = p[8:]
				for len(p) >= 32 && (word(p)|word(p[8:])|
					word(p[16:])|word(p[24:]))&hiBits == 0 {
					p = p[32:]
					for len(p) >= 64 && (word(p)|word(p[8:])|
						word(p[16:])|word(p[24:])|
						word(p[32:])|word(p[40:])|
						word(p[48:])|word(p[56:]))&hiBits == 0 {
						p = p[64:]
					}
				}
			}
		}
		if simdUTF8 != nil && len(p) >= simdMin {
			// Text that is not plain ASCII: the rest goes to the vector
			// validator up to its last character boundary, and only an
			// incomplete final character stays for the loop below.
			b := lastBoundary(p)
			if !simdUTF8(p[:b]) {
				return 0, false
			}
			if p = p[b:]; len(p) == 0 {
				return n, true
			}
		}
		x := utf8First[p[0]]
		size := int(x & 7)
		r := utf8Accept[x>>4]
		if len(p) < size {
			// An incomplete character at the end: valid so far if the bytes
			// present are, since any valid prefix can still be completed.
			if len(p) > 1 && (p[1] < r.lo || r.hi < p[1]) {
				return 0, false
			}
			if len(p) > 2 && (p[2] < locb || hicb < p[2]) {
				return 0, false
			}
			return n - len(p), true
		}
		switch size {
		case 2:
			if p[1] < r.lo || r.hi < p[1] {
				return 0, false
			}
			p = p[2:]
		case 3:
			if p[1] < r.lo || r.hi < p[1] || p[2] < locb || hicb < p[2] {
				return 0, false
			}
			p = p[3:]
		case 4:
			if p[1] < r.lo || r.hi < p[1] || p[2] < locb || hicb < p[2] || p[3] < locb || hicb < p[3] {
				return 0, false
			}
			p = p[4:]
		default:
			return 0, false // a byte that cannot start a character
		}
	}
	return n, true
}

// simdMin is the shortest rest of a text that goes to simdUTF8: below 32
// bytes the vector validator (segmentio/asm) falls back to the standard
// library itself.
const simdMin = 32

// lastBoundary returns where p's final character starts if p ends inside
// it, or len(p): a valid p[:lastBoundary(p)] is whole characters. A
// character is at most 4 bytes, so only a lead byte among the last 3 can
// start an incomplete one; a stray byte is left to the validator of the
// front part, which rejects it.
func lastBoundary(p []byte) int {
	n := len(p)
	for i := n - 1; i >= 0 && i >= n-3; i-- {
		c := p[i]
		if c < 0x80 {
			return n
		}
		if c >= 0xC0 {
			if i+int(utf8First[c]&7) > n {
				return i
			}
			return n
		}
	}
	return n
}

// word loads 8 bytes of b as a little-endian word, so that byte i of b is
// byte i of the result; the compiler makes it a single load.
func word(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

// utf8First describes each possible first byte of a character: the low 3 bits
// are the character's length in bytes (1 for bytes that cannot start one:
// xx), the high 4 bits index utf8Accept for the second byte. The layout
// follows unicode/utf8 and RFC 3629 §4.
var utf8First = [256]uint8{
	//   1   2   3   4   5   6   7   8   9   A   B   C   D   E   F
	as, as, as, as, as, as, as, as, as, as, as, as, as, as, as, as, // 0x00-0x0F
	as, as, as, as, as, as, as, as, as, as, as, as, as, as, as, as, // 0x10-0x1F
	as, as, as, as, as, as, as, as, as, as, as, as, as, as, as, as, // 0x20-0x2F
	as, as, as, as, as, as, as, as, as, as, as, as, as, as, as, as, // 0x30-0x3F
	as, as, as, as, as, as, as, as, as, as, as, as, as, as, as, as, // 0x40-0x4F
	as, as, as, as, as, as, as, as, as, as, as, as, as, as, as, as, // 0x50-0x5F
	as, as, as, as, as, as, as, as, as, as, as, as, as, as, as, as, // 0x60-0x6F
	as, as, as, as, as, as, as, as, as, as, as, as, as, as, as, as, // 0x70-0x7F
	xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, // 0x80-0x8F
	xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, // 0x90-0x9F
	xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, // 0xA0-0xAF
	xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, // 0xB0-0xBF
	xx, xx, s1, s1, s1, s1, s1, s1, s1, s1, s1, s1, s1, s1, s1, s1, // 0xC0-0xCF
	s1, s1, s1, s1, s1, s1, s1, s1, s1, s1, s1, s1, s1, s1, s1, s1, // 0xD0-0xDF
	s2, s3, s3, s3, s3, s3, s3, s3, s3, s3, s3, s3, s3, s4, s3, s3, // 0xE0-0xEF
	s5, s6, s6, s6, s7, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, // 0xF0-0xFF
}

const (
	as = 0xF0 // ASCII: handled before the table is consulted
	xx = 0xF1 // cannot start a character (continuation, C0, C1, F5-FF)
	s1 = 0x02 // C2-DF: 2 bytes, second 80-BF
	s2 = 0x13 // E0: 3 bytes, second A0-BF (no overlongs)
	s3 = 0x03 // E1-EC, EE-EF: 3 bytes, second 80-BF
	s4 = 0x23 // ED: 3 bytes, second 80-9F (no surrogates)
	s5 = 0x34 // F0: 4 bytes, second 90-BF (no overlongs)
	s6 = 0x04 // F1-F3: 4 bytes, second 80-BF
	s7 = 0x44 // F4: 4 bytes, second 80-8F (nothing above U+10FFFF)
)

// acceptRange is the inclusive range of valid second bytes.
type acceptRange struct{ lo, hi uint8 }

// utf8Accept is indexed by the high nibble of a first entry; sized 16 so
// the index never needs a bounds check.
var utf8Accept = [16]acceptRange{
	0: {locb, hicb},
	1: {0xA0, hicb},
	2: {locb, 0x9F},
	3: {0x90, hicb},
	4: {locb, 0x8F},
}
