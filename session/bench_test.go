package session_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"unsafe"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

var benchSizes = []int{64, 1 << 10, 16 << 10}

// benchPayload is ASCII (JSON-like) text, valid as both text and binary.
func benchPayload(n int) []byte {
	const pattern = `{"id":12345,"name":"surge","ok":true,"tags":["a","b"]}`
	return bytes.Repeat([]byte(pattern), n/len(pattern)+1)[:n]
}

// BenchmarkReceive feeds one pre-encoded single-frame message per op through
// the state machine to an inline handler that does nothing. A server receives
// masked frames, a client unmasked ones. The masked frames use the all-zero
// key: the unmasking work is the same for every key, and Feed (which unmasks
// in place) then leaves the buffer as it was, so no copy is timed.
func BenchmarkReceive(b *testing.B) {
	for _, role := range roles {
		for _, op := range []frame.Opcode{frame.OpText, frame.OpBinary} {
			for _, n := range benchSizes {
				name := fmt.Sprintf("%s/%s/%d", roleName(role), op, n)
				b.Run(name, func(b *testing.B) {
					h := frame.Header{Fin: true, Op: op, Length: int64(n), Masked: role == seam.Server}
					benchFeed(b, role, append(frame.AppendHeader(nil, &h), benchPayload(n)...), n)
				})
			}
		}
	}
}

// benchFeed times Feed of wire, one message of n payload bytes (in one
// frame or several), per op on a session of the given role with an inline handler that only counts.
func benchFeed(b *testing.B, role seam.Role, wire []byte, n int) {
	var count int
	_, ep := newSession(b, session.Config{}, countHandler{n: &count}, role, &discardDriver{}, nil)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		if err := ep.Feed(wire); err != nil {
			b.Fatal(err)
		}
	}
	if count == 0 {
		b.Fatal("nothing delivered")
	}
}

// BenchmarkReceiveFragmented feeds a message in four fragments per op, which
// goes through the pooled message buffer and the streaming UTF-8 validator.
func BenchmarkReceiveFragmented(b *testing.B) {
	for _, op := range []frame.Opcode{frame.OpText, frame.OpBinary} {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("server/%s/%d", op, n), func(b *testing.B) {
				p := benchPayload(n)
				var wire []byte
				q := n / 4
				for i := 0; i < 4; i++ {
					o := op
					if i > 0 {
						o = frame.OpContinuation
					}
					h := frame.Header{Fin: i == 3, Op: o, Length: int64(q), Masked: true}
					wire = append(frame.AppendHeader(wire, &h), p[i*q:(i+1)*q]...)
				}
				benchFeed(b, seam.Server, wire, 4*q)
			})
		}
	}
}

// BenchmarkSend sends one borrowed binary frame per op to a driver that
// discards it: unmasked from a server, masked from a client.
func BenchmarkSend(b *testing.B) {
	for _, role := range roles {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%s/%d", roleName(role), n), func(b *testing.B) {
				p := benchPayload(n)
				s, _ := newSession(b, session.Config{}, session.NopHandler{}, role, nopDriver{}, nil)
				ctx := context.Background()
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for b.Loop() {
					if err := s.Send(ctx, session.BorrowBinary(p)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkEcho receives a masked message and echoes it from the inline
// handler: the whole server round trip through the state machine.
func BenchmarkEcho(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("server/binary/%d", n), func(b *testing.B) {
			h := frame.Header{Fin: true, Op: frame.OpBinary, Length: int64(n), Masked: true}
			wire := append(frame.AppendHeader(nil, &h), benchPayload(n)...)
			_, ep := newSession(b, session.Config{}, echoHandler{}, seam.Server, nopDriver{}, nil)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				if err := ep.Feed(wire); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIdleSession reports the Go memory of one idle event-style server
// session (no channels asked for) as bytes/session, measured as the live heap
// of idleSessions sessions, and its struct size as struct-bytes. ns/op is the
// time to create and start idleSessions sessions, GCs included.
func BenchmarkIdleSession(b *testing.B) {
	// A memory measurement reported as metrics: the 10,000 sessions are
	// made once, outside the timed loop, so allocs/op stays a per-message
	// figure for the hot-path gate.
	per := idleBytesPerSession(idleSessions, false)
	for b.Loop() {
	}
	var s session.Session
	b.ReportMetric(per, "bytes/session")
	b.ReportMetric(float64(unsafe.Sizeof(s)), "struct-bytes")
}
