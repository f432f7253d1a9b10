package handshake

import (
	"encoding/binary"

	"github.com/gobwas/httphead"
)

// equalLower reports whether b equals lower, ignoring ASCII case. b must be
// a token and lower must hold only lower-case letters, digits and '-': then
// setting bit 0x20 of b's bytes folds exactly.
func equalLower(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if b[i]|0x20 != lower[i] {
			return false
		}
	}
	return true
}

// equalFold reports whether b equals s, ignoring ASCII case. Unlike
// bytes.EqualFold it does no Unicode folding (HTTP field names and the
// tokens compared here are ASCII, RFC 9110 §5.1) and it takes a string
// without converting it.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hasToken reports whether the comma-separated token list v contains tok,
// ignoring ASCII case, and whether v is a well-formed list.
// Connection and Upgrade are such lists (RFC 9110 §7.6.1, §7.8).
func hasToken(v []byte, tok string) (found, ok bool) {
	ok = httphead.ScanTokens(v, func(t []byte) bool {
		if equalFold(t, tok) {
			found = true
			return false
		}
		return true
	})
	return found, ok
}

// isToken reports whether b is a non-empty RFC 9110 §5.6.2 token.
func isToken[T string | []byte](b T) bool {
	if len(b) == 0 {
		return false
	}
	for i := 0; i < len(b); i++ {
		if !httphead.OctetTypes[b[i]].IsToken() {
			return false
		}
	}
	return true
}

// validFieldValue reports whether v may appear as a field value: no control
// characters except HTAB (RFC 9110 §5.5). CR and LF are among them, so a
// value that passes cannot inject a header line.
func validFieldValue[T string | []byte](v T) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// validTarget reports whether a request-target has only visible ASCII
// (RFC 9112 §3.2 and RFC 3986 allow no spaces or controls) and no fragment,
// which RFC 6455 §3 forbids in WebSocket URIs.
func validTarget[T string | []byte](v T) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c <= ' ' || c >= 0x7f || c == '#' {
			return false
		}
	}
	return true
}

// lineStatus is what nextLine found.
type lineStatus uint8

const (
	lineOK    lineStatus = iota
	lineBad              // a control character other than HTAB
	lineShort            // no CRLF yet
)

// nextLine splits the first CRLF-terminated line off b. It reports lineBad
// when the line holds a control character other than HTAB (RFC 9110 §5.5),
// a bare CR or LF among them, so no other parser could see a different line
// end (RFC 9112 §2.2), and lineShort when b ends before the CRLF.
//
// One pass finds the line end and validates the line. It reads eight bytes
// at a time because values such as User-Agent and Cookie make up most of a
// request; a word is looked at bytewise only when it holds a byte below
// 0x20 or a DEL, which is where the line ends.
func nextLine(b []byte) (line, rest []byte, st lineStatus) {
	const ones = 0x0101010101010101
	const highs = 0x8080808080808080
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		del := x ^ (ones * 0x7f)
		// "Has a byte below 0x20" and "has a 0x7f byte", from Bit Twiddling
		// Hacks (hasless, haszero): exact as to whether such a byte exists.
		if ((x-ones*0x20)&^x|(del-ones)&^del)&highs != 0 {
			break
		}
	}
	for ; i < len(b); i++ {
		switch c := b[i]; {
		case c >= ' ' && c != 0x7f, c == '\t':
		case c != '\r':
			return nil, nil, lineBad
		case i+1 == len(b):
			return nil, nil, lineShort
		case b[i+1] == '\n':
			return b[:i], b[i+2:], lineOK
		default:
			return nil, nil, lineBad
		}
	}
	return nil, nil, lineShort
}
