//go:build linux

package main

import (
	"encoding/binary"
	"strconv"
	"testing"
)

// refPayload is the payload written the plain way, byte by byte.
func refPayload(size int, id, seq uint64) []byte {
	p := make([]byte, size)
	binary.LittleEndian.PutUint64(p, id)
	binary.LittleEndian.PutUint64(p[8:], seq)
	for i := 16; i < size; i++ {
		p[i] = byte(uint64(i)*31) ^ byte(id*7+seq)
	}
	return p
}

func TestFillMaskedMatchesReference(t *testing.T) {
	// Below cipherFrom, sizes that end on and between words; from it, sizes
	// that end inside Cipher's 64- and 16-byte blocks and in its byte-wise
	// tail.
	for _, size := range []int{16, 17, 23, 24, 25, 31, 47, 48, 49, 64, 79, 80, 81, 87, 88, 125, 126, cipherFrom - 1,
		cipherFrom, cipherFrom + 1, cipherFrom + 15, cipherFrom + 17, cipherFrom + 63, cipherFrom + 65, 1024, 16<<10 + 5, 64<<10 + 13} {
		pl := newPayloads(size)
		for _, tc := range []struct {
			id, seq uint64
			key     uint32
		}{
			{0, 0, 0}, {1, 2, 0}, {9999, 123456, 0xdeadbeef}, {7, 255, 0x01020304}, {1 << 40, 1<<63 + 3, 0xffffffff},
		} {
			want := refPayload(size, tc.id, tc.seq)
			got := make([]byte, size)
			pl.fill(got, tc.id, tc.seq, tc.key)
			var k [4]byte
			binary.LittleEndian.PutUint32(k[:], tc.key)
			for i := range got {
				got[i] ^= k[i&3] // unmask as a server does (RFC 6455 §5.3)
			}
			if string(got) != string(want) {
				t.Fatalf("size %d %+v: payload differs from the reference", size, tc)
			}
			if !pl.check(got, tc.id, tc.seq) { // it scrambles got
				t.Fatalf("size %d %+v: checkPayload rejects the right payload", size, tc)
			}
		}
	}
}

// TestCheckPayloadCatchesEveryByte: one bit flipped at any position, a
// wrong connection or message number, or a wrong length fails the check,
// small and large.
func TestCheckPayloadCatchesEveryByte(t *testing.T) {
	for _, size := range []int{77, cipherFrom + 77, 64<<10 + 77} {
		pl := newPayloads(size)
		right := make([]byte, size)
		pl.fill(right, 5, 9, 0)
		p := make([]byte, size)
		if !pl.check(append(p[:0], right...), 5, 9) {
			t.Fatalf("size %d: the right payload fails", size)
		}
		for i := range p {
			if i >= 64 && i < size-64 && i%1009 != 0 {
				continue // every byte of a large payload would take minutes under -race
			}
			copy(p, right) // check scrambles what it checks
			p[i] ^= 0x80
			if pl.check(p, 5, 9) {
				t.Fatalf("size %d: a flipped byte %d passed", size, i)
			}
		}
		p = right
		for _, tc := range []struct {
			name    string
			p       []byte
			id, seq uint64
		}{
			{"other_connection", p, 6, 9},
			{"other_message", p, 5, 10},
			{"same_constant_other_message", p, 5, 9 + 256},
			{"short", p[:size-1], 5, 9},
			{"long", append(append([]byte{}, p...), 0), 5, 9},
		} {
			if pl.check(append([]byte(nil), tc.p...), tc.id, tc.seq) {
				t.Errorf("size %d: %s passed", size, tc.name)
			}
		}
	}
}

// BenchmarkPayload is rawload's own cost per message of writing a masked
// payload and checking its echo: fill and check as rawload runs them
// (pattern: words below cipherFrom, Cipher from it) against the byte loop
// (refPayload, plus the byte-wise mask).
func BenchmarkPayload(b *testing.B) {
	for _, size := range []int{64, 1024, 16 << 10} {
		pl := newPayloads(size)
		p := make([]byte, size)
		b.Run(sizeName(size)+"/pattern", func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for i := range b.N {
				pl.fill(p, 3, uint64(i), 0x01020304)
				pl.fill(p, 3, uint64(i), 0) // what the server unmasks
				if !pl.check(p, 3, uint64(i)) {
					b.Fatal("check failed")
				}
			}
		})
		b.Run(sizeName(size)+"/bytes", func(b *testing.B) {
			b.SetBytes(int64(size))
			key := [4]byte{4, 3, 2, 1}
			for i := range b.N {
				q := refPayload(size, 3, uint64(i))
				for j := range q {
					p[j] = q[j] ^ key[j&3]
				}
				if string(refPayload(size, 3, uint64(i))) != string(q) {
					b.Fatal("check failed")
				}
			}
		})
	}
}

func sizeName(n int) string {
	if n >= 1024 {
		return strconv.Itoa(n/1024) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}
