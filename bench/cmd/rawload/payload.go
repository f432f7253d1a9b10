//go:build linux

package main

import (
	"bytes"
	"encoding/binary"
)

// The payload of message seq of connection id is both numbers (8 bytes
// each, little endian), then byte i = i*31 + id*7 + seq (mod 256). Every
// byte depends on the connection and the message, so an echo from the wrong
// connection, out of order, or damaged anywhere fails the check.
//
// Writing and checking it byte by byte cost rawload about 80 µs of its core
// per 16 KiB message (fill and mask, then fill again to verify; BenchmarkPayload),
// which made the generator the limit at 100 × 16 KiB: the server sat at
// 0.4–0.7 cores. Bytes 16.. take only 256 forms per size (the message's
// constant id*7 + seq mod 256 added to i*31), so up to tableMax they are
// built once: a send masks one of them a word at a time, four words a turn,
// and a check is a memcmp. Larger sizes add the constant eight bytes at a
// time (addBytes).

// tableMax is the largest payload whose 256 forms are kept (16 MiB).
const tableMax = 64 << 10

// payloads writes and checks the payloads of one size.
type payloads struct {
	base  []byte // byte i = i*31
	table []byte // form c at [c*size, (c+1)*size): base + c; nil above tableMax
}

func newPayloads(size int) *payloads {
	pl := &payloads{base: make([]byte, size)}
	for i := range pl.base {
		pl.base[i] = byte(i * 31)
	}
	if size <= tableMax {
		pl.table = make([]byte, 256*size)
		for c := range 256 {
			form := pl.table[c*size : (c+1)*size]
			for i := range form {
				form[i] = pl.base[i] + byte(c)
			}
		}
	}
	return pl
}

// form returns the payload bytes of constant c (bytes 16.. are the
// payload's; the first 16 are overwritten by the numbers), or nil above
// tableMax.
func (pl *payloads) form(c byte) []byte {
	if pl.table == nil {
		return nil
	}
	n := len(pl.base)
	return pl.table[int(c)*n : (int(c)+1)*n]
}

// payloadConst is the byte every position of message seq of connection id
// adds to the pattern.
func payloadConst(id, seq uint64) byte { return byte(id*7 + seq) }

const highBits = 0x8080808080808080

// addBytes adds c to every byte of x, each byte mod 256 on its own (no
// carry into the next byte).
func addBytes(x, c uint64) uint64 {
	return ((x &^ highBits) + (c &^ highBits)) ^ ((x ^ c) & highBits)
}

// fill writes the payload of message seq of connection id into p (of the
// payloads' size, at least 16), masked with key (RFC 6455 §5.3: key's byte
// j masks the payload bytes i with i%4 == j; key 0 leaves it clear).
func (pl *payloads) fill(p []byte, id, seq uint64, key uint32) {
	c := payloadConst(id, seq)
	k := uint64(key) | uint64(key)<<32
	n := len(p) &^ 7
	// From 16 on, i is a multiple of 8, so k keeps the key's phase.
	if src := pl.form(c); src != nil {
		// Four words a turn, each slice bounded once. A word a turn,
		// with its bounds checks, took 20% of rawload's samples at
		// 100 × 16 KiB and made the generator the limit: the servers ran
		// below their core and paid more per echo. BenchmarkPayload: 16
		// KiB 5.1–5.3 µs → 1.6–2.1 µs, 1 KiB 380–530 → 130–170 ns.
		i := 16
		for ; i+32 <= n; i += 32 {
			d, s := p[i:i+32:i+32], src[i:i+32:i+32]
			binary.LittleEndian.PutUint64(d, binary.LittleEndian.Uint64(s)^k)
			binary.LittleEndian.PutUint64(d[8:], binary.LittleEndian.Uint64(s[8:])^k)
			binary.LittleEndian.PutUint64(d[16:], binary.LittleEndian.Uint64(s[16:])^k)
			binary.LittleEndian.PutUint64(d[24:], binary.LittleEndian.Uint64(s[24:])^k)
		}
		for ; i < n; i += 8 {
			binary.LittleEndian.PutUint64(p[i:], binary.LittleEndian.Uint64(src[i:])^k)
		}
	} else {
		cc := uint64(c) * 0x0101010101010101
		for i := 16; i < n; i += 8 {
			binary.LittleEndian.PutUint64(p[i:], addBytes(binary.LittleEndian.Uint64(pl.base[i:]), cc)^k)
		}
	}
	for i := max(n, 16); i < len(p); i++ {
		p[i] = (pl.base[i] + c) ^ byte(k>>(8*(i&3)))
	}
	binary.LittleEndian.PutUint64(p, id^k)
	binary.LittleEndian.PutUint64(p[8:], seq^k)
}

// check reports whether p is exactly the payload of message seq of
// connection id.
func (pl *payloads) check(p []byte, id, seq uint64) bool {
	if len(p) != len(pl.base) || binary.LittleEndian.Uint64(p) != id || binary.LittleEndian.Uint64(p[8:]) != seq {
		return false
	}
	c := payloadConst(id, seq)
	if src := pl.form(c); src != nil {
		return bytes.Equal(p[16:], src[16:])
	}
	cc := uint64(c) * 0x0101010101010101
	n := len(p) &^ 7
	var diff uint64
	for i := 16; i < n; i += 8 {
		diff |= addBytes(binary.LittleEndian.Uint64(pl.base[i:]), cc) ^ binary.LittleEndian.Uint64(p[i:])
	}
	for i := max(n, 16); i < len(p); i++ {
		diff |= uint64(p[i] ^ (pl.base[i] + c))
	}
	return diff == 0
}
