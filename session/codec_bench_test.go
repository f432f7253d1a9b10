package session_test

import (
	"context"
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

// BenchmarkSendValue measures Ktor's sendSerialized with the default JSON
// Codec, against encoding by hand and sending with Send: the Codec costs
// what encoding/json costs, and nothing on top.
func BenchmarkSendValue(b *testing.B) {
	ctx := context.Background()
	b.Run("SendValue", func(b *testing.B) {
		s, _ := newSession(b, session.Config{}, session.NopHandler{}, seam.Server, &discardDriver{}, nil)
		b.ReportAllocs()
		for b.Loop() {
			if err := s.SendValue(ctx, benchValue); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Marshal+Send", func(b *testing.B) {
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
}

// BenchmarkDecode measures receiveDeserialized's decoding half.
func BenchmarkDecode(b *testing.B) {
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
