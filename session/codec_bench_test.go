package session_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/counters"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

type benchMsg struct {
	Room string `json:"room"`
	User string `json:"user"`
	Text string `json:"text"`
	Seq  int    `json:"seq"`
}

var benchValue = benchMsg{Room: "lobby", User: "ada", Text: "hello, everyone in the room", Seq: 42}

// pointCodec is a Codec without reflection: a value that appends itself.
// It shows what surge's part of SendValue and Decode costs: nothing.
type pointCodec struct{}

type point struct{ X, Y uint32 }

func (pointCodec) Append(dst []byte, v any) ([]byte, error) {
	p := v.(*point)
	return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(dst, p.X), p.Y), nil
}

func (pointCodec) Unmarshal(b []byte, v any) error {
	p := v.(*point)
	p.X, p.Y = binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:])
	return nil
}

func (pointCodec) Binary() bool { return true }

// BenchmarkSendValue measures Ktor's sendSerialized: with the default JSON
// Codec (a value, as most callers pass one, and a pointer), against
// encoding by hand and sending with Send, and with a Codec without
// reflection. The allocations of the JSON rows are encoding/json's (and
// the boxing of a value into an interface); with pointCodec SendValue
// allocates nothing.
func BenchmarkSendValue(b *testing.B) {
	ctx := context.Background()
	b.Run("json/value", func(b *testing.B) {
		s, _ := newSession(b, session.Config{}, session.NopHandler{}, seam.Server, &discardDriver{}, nil)
		b.ReportAllocs()
		for b.Loop() {
			if err := s.SendValue(ctx, benchValue); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json/pointer", func(b *testing.B) {
		s, _ := newSession(b, session.Config{}, session.NopHandler{}, seam.Server, &discardDriver{}, nil)
		v := benchValue
		b.ReportAllocs()
		for b.Loop() {
			if err := s.SendValue(ctx, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json/Marshal+Send", func(b *testing.B) {
		s, _ := newSession(b, session.Config{}, session.NopHandler{}, seam.Server, &discardDriver{}, nil)
		b.ReportAllocs()
		for b.Loop() {
			p, err := json.Marshal(benchValue)
			if err != nil {
				b.Fatal(err)
			}
			if err := s.Send(ctx, session.BorrowText(p)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("codec-without-reflection", func(b *testing.B) {
		s, _ := newSession(b, session.Config{Codec: pointCodec{}}, session.NopHandler{}, seam.Server, &discardDriver{}, nil)
		v := point{3, 4}
		b.ReportAllocs()
		for b.Loop() {
			if err := s.SendValue(ctx, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDecode measures receiveDeserialized's decoding half: JSON
// (encoding/json allocates the struct's strings and its own state), and a
// Codec without reflection (nothing).
func BenchmarkDecode(b *testing.B) {
	b.Run("json", func(b *testing.B) {
		s, _ := newSession(b, session.Config{}, session.NopHandler{}, seam.Server, &discardDriver{}, nil)
		p, _ := json.Marshal(benchValue)
		b.SetBytes(int64(len(p)))
		b.ReportAllocs()
		var v benchMsg
		for b.Loop() {
			if err := s.Decode(session.BorrowText(p), &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("codec-without-reflection", func(b *testing.B) {
		s, _ := newSession(b, session.Config{Codec: pointCodec{}}, session.NopHandler{}, seam.Server, &discardDriver{}, nil)
		p := []byte{0, 0, 0, 3, 0, 0, 0, 4}
		b.SetBytes(int64(len(p)))
		b.ReportAllocs()
		var v point
		for b.Loop() {
			if err := s.Decode(session.BorrowBinary(p), &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSendText: a string sent without a copy of its own.
func BenchmarkSendText(b *testing.B) {
	s, _ := newSession(b, session.Config{}, session.NopHandler{}, seam.Server, &discardDriver{}, nil)
	text := "hello, everyone in the room"
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.SendText(context.Background(), text); err != nil {
			b.Fatal(err)
		}
	}
}

// statsDriver discards writes and hands out counters, as the engine's
// drivers do; nopDriver hands out none.
type statsDriver struct {
	nopDriver
	ctr counters.Set
}

func (d *statsDriver) Counters() *counters.Set { return &d.ctr }

// BenchmarkEchoCounters is BenchmarkEcho with the statistics off (a driver
// without counters) and on, in one run: what counting costs a message.
func BenchmarkEchoCounters(b *testing.B) {
	for _, mode := range []string{"off", "on"} {
		b.Run(mode, func(b *testing.B) {
			const n = 64
			h := frame.Header{Fin: true, Op: frame.OpBinary, Length: n, Masked: true}
			wire := append(frame.AppendHeader(nil, &h), benchPayload(n)...)
			var d seam.Driver = nopDriver{}
			if mode == "on" {
				d = &statsDriver{}
			}
			_, ep := newSession(b, session.Config{}, echoHandler{}, seam.Server, d, nil)
			b.SetBytes(n)
			b.ReportAllocs()
			for b.Loop() {
				if err := ep.Feed(wire); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
