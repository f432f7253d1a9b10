//go:build linux

package main

import (
	"bytes"
	"encoding/binary"

	"github.com/gobwas/ws"
)

// The payload of message seq of connection id is both numbers (8 bytes
// each, little endian), then byte i = (i*31) XOR c, where c = id*7 + seq
// (mod 256). Every byte depends on the connection and the message, so an
// echo from the wrong connection, out of order, or damaged anywhere fails
// the check.
//
// Writing and checking it byte by byte cost rawload about 80 µs of its core
// per 16 KiB message, which made the generator the limit at 100 × 16 KiB.
// A table of the 256 forms of the pattern then brought that to 2.6 µs
// (BenchmarkPayload: two fills and a check), but the table is 4 MiB at
// 16 KiB, out of the core's caches, and rawload still spent 11% of its core
// there (fill and memeqbody in perf), again the limit of the run: surge
// and the floor waited on it at 0.93–0.97 of their core. With c applied by
// XOR, c and the masking key fold into one 32-bit key: a send copies the
// one pattern (base, which stays in cache) and masks it with key XOR cccc,
// and a check unmasks the echo with cccc in place and compares it with
// base. Both use gobwas/ws's Cipher (SSE2, AVX2 where the CPU has it), a
// library that is not surge, from cipherFrom bytes; below that a word loop
// is faster (BenchmarkPayload at 64 B: 29 ns against Cipher's 57).

// cipherFrom is the smallest payload filled and checked with Cipher.
const cipherFrom = 256

// payloads writes and checks the payloads of one size.
type payloads struct {
	base []byte // byte i = i*31
}

func newPayloads(size int) *payloads {
	pl := &payloads{base: make([]byte, size)}
	for i := range pl.base {
		pl.base[i] = byte(i * 31)
	}
	return pl
}

// payloadConst is the byte every position of message seq of connection id
// is XORed with.
func payloadConst(id, seq uint64) byte { return byte(id*7 + seq) }

// wordOf is the 4-byte mask that XORs every byte with c, combined with key.
func wordOf(key uint32, c byte) [4]byte {
	var m [4]byte
	binary.LittleEndian.PutUint32(m[:], key^uint32(c)*0x01010101)
	return m
}

// wide repeats the 4-byte mask m over a little-endian word.
func wide(m [4]byte) uint64 { return uint64(binary.LittleEndian.Uint32(m[:])) * (1 | 1<<32) }

// fill writes the payload of message seq of connection id into p (of the
// payloads' size, at least 16), masked with key (RFC 6455 §5.3: key's byte
// j masks the payload bytes i with i%4 == j; key 0 leaves it clear).
func (pl *payloads) fill(p []byte, id, seq uint64, key uint32) {
	m := wordOf(key, payloadConst(id, seq))
	if len(p) >= cipherFrom {
		copy(p[16:], pl.base[16:])
		// Byte 16 is at phase 0 of the key, as byte 0 is.
		ws.Cipher(p[16:], m, 0)
	} else {
		mw := wide(m)
		n := len(p) &^ 7
		for i := 16; i < n; i += 8 { // from 16, a multiple of 8: phase 0
			binary.LittleEndian.PutUint64(p[i:], binary.LittleEndian.Uint64(pl.base[i:])^mw)
		}
		for i := max(n, 16); i < len(p); i++ {
			p[i] = pl.base[i] ^ m[i&3]
		}
	}
	k := uint64(key) | uint64(key)<<32
	binary.LittleEndian.PutUint64(p, id^k)
	binary.LittleEndian.PutUint64(p[8:], seq^k)
}

// check reports whether p is exactly the payload of message seq of
// connection id. From cipherFrom bytes it scrambles p's bytes from 16 on
// (it unmasks the pattern in place), so p must not be used after it.
func (pl *payloads) check(p []byte, id, seq uint64) bool {
	if len(p) != len(pl.base) || binary.LittleEndian.Uint64(p) != id || binary.LittleEndian.Uint64(p[8:]) != seq {
		return false
	}
	m := wordOf(0, payloadConst(id, seq))
	if len(p) >= cipherFrom {
		ws.Cipher(p[16:], m, 0)
		return bytes.Equal(p[16:], pl.base[16:])
	}
	mw := wide(m)
	n := len(p) &^ 7
	var diff uint64
	for i := 16; i < n; i += 8 {
		diff |= binary.LittleEndian.Uint64(p[i:]) ^ binary.LittleEndian.Uint64(pl.base[i:]) ^ mw
	}
	for i := max(n, 16); i < len(p); i++ {
		diff |= uint64(p[i] ^ pl.base[i] ^ m[i&3])
	}
	return diff == 0
}
