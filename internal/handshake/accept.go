package handshake

import (
	"crypto/sha1"
	"encoding/base64"
)

// acceptGUID is the fixed suffix of RFC 6455 §1.3 and §4.2.2 item 5.4.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// KeyLen is the length of a valid Sec-WebSocket-Key: base64 of 16 bytes (§4.1 item 7).
const KeyLen = 24

// AcceptLen is the length of Sec-WebSocket-Accept: base64 of a SHA-1 sum (§4.2.2).
const AcceptLen = 28

// AcceptKey computes Sec-WebSocket-Accept for key (RFC 6455 §4.2.2 item 5.4):
// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")) into dst. The
// key is used as received, without decoding or trimming. It does not allocate
// for keys of up to 64 bytes (valid keys have [KeyLen] bytes).
func AcceptKey(dst *[AcceptLen]byte, key []byte) {
	// A stack buffer instead of sha1.New: the hash.Hash interface would move
	// the digest state to the heap.
	var buf [64 + len(acceptGUID)]byte
	var in []byte
	if len(key) <= 64 {
		n := copy(buf[:], key)
		n += copy(buf[n:], acceptGUID)
		in = buf[:n]
	} else {
		in = append(append(make([]byte, 0, len(key)+len(acceptGUID)), key...), acceptGUID...)
	}
	sum := sha1.Sum(in)
	base64.StdEncoding.Encode(dst[:], sum[:])
}

// validKey reports whether key is the base64 encoding of exactly 16 bytes,
// as §4.2.1 item 5 requires of Sec-WebSocket-Key.
func validKey(key []byte) bool {
	if len(key) != KeyLen {
		return false
	}
	var raw [18]byte
	n, err := base64.StdEncoding.Strict().Decode(raw[:], key)
	return err == nil && n == 16
}
