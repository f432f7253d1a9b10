package main

import (
	"bytes"

	"github.com/surgews/surge/frame"
)

// headerLen is the size of the header every payload starts with: the
// sequence number and the send timestamp, 48 bits each, as 8 characters of a
// 64-letter ASCII alphabet, so one layout serves text (valid UTF-8) and
// binary frames alike.
const headerLen = 16

// headerBits is how many bits each header field keeps: 2^48 ns is 78 hours
// of run time, 2^48 messages more than any connection sends.
const headerBits = 48

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"

// Pattern periods are primes so that offsets from different (conn, seq)
// pairs rarely coincide; text uses printable ASCII only.
const (
	binaryPeriod = 251
	textPeriod   = 89
)

// alphabetIndex maps a header byte back to its 6-bit value; 0xff marks bytes
// outside the alphabet.
var alphabetIndex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// pattern lays out and checks payloads of one size. It is read-only after
// newPattern, so every connection and loop shares it.
type pattern struct {
	size   int
	op     frame.Opcode
	period uint64
	// table repeats the pattern so that the body of any payload is one slice
	// of it: filling is a copy and checking is a bytes.Equal, both vectorised.
	table []byte
}

func newPattern(size int, text bool) *pattern {
	p := &pattern{size: size, op: frame.OpBinary, period: binaryPeriod}
	if text {
		p.op, p.period = frame.OpText, textPeriod
	}
	body := size - headerLen
	p.table = make([]byte, body+int(p.period))
	for i := range p.table {
		k := uint64(i) % p.period
		if text {
			p.table[i] = byte(0x21 + (k*37)%textPeriod)
		} else {
			p.table[i] = byte(k*97 + 13)
		}
	}
	return p
}

// offset derives the pattern phase of a payload from its connection,
// sequence number and timestamp, so that a payload echoed to the wrong
// connection, replayed, or with a changed timestamp does not verify.
func (p *pattern) offset(conn, seq, ts uint64) uint64 {
	return (conn*7919 + seq*31 + ts) % p.period
}

// fill writes the payload of message seq of connection conn sent at ts (ns
// since the run's base time) into buf, which is p.size long.
func (p *pattern) fill(buf []byte, conn, seq, ts uint64) {
	putField(buf[0:8], seq)
	putField(buf[8:16], ts)
	off := p.offset(conn, seq, ts)
	copy(buf[headerLen:], p.table[off:off+uint64(p.size-headerLen)])
}

func putField(b []byte, v uint64) {
	_ = b[7]
	for i := 7; i >= 0; i-- {
		b[i] = alphabet[v&63]
		v >>= 6
	}
}

func getField(b []byte) (uint64, bool) {
	_ = b[7]
	var v uint64
	for i := 0; i < 8; i++ {
		x := alphabetIndex[b[i]]
		if x == 0xff {
			return 0, false
		}
		v = v<<6 | uint64(x)
	}
	return v, true
}

// check verifies a received message of connection conn that should carry
// sequence number want. It returns the timestamp of the payload and "" when
// the payload is exactly what was sent, or the error kind.
func (p *pattern) check(conn, want uint64, op frame.Opcode, b []byte) (ts uint64, kind string) {
	if op != p.op {
		return 0, kindVerifyOpcode
	}
	if len(b) != p.size {
		return 0, kindVerifySize
	}
	seq, ok1 := getField(b[0:8])
	ts, ok2 := getField(b[8:16])
	if !ok1 || !ok2 {
		return 0, kindVerifyHeader
	}
	if seq != want&(1<<headerBits-1) {
		return 0, kindVerifyOrder
	}
	off := p.offset(conn, seq, ts)
	if !bytes.Equal(b[headerLen:], p.table[off:off+uint64(p.size-headerLen)]) {
		return 0, kindVerifyPayload
	}
	return ts, ""
}
