package session_test

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/internal/testalloc"
	"github.com/surgews/surge/session"
)

// echoHandler sends every message back, the zero-allocation echo.
type echoHandler struct{ session.NopHandler }

func (echoHandler) OnMessage(s *session.Session, f session.Frame) {
	_ = s.Send(context.Background(), f)
}

// countHandler counts messages, so a gate can see they were delivered.
type countHandler struct {
	session.NopHandler
	n *int
}

func (h countHandler) OnMessage(*session.Session, session.Frame) { *h.n++ }

func skipIfRace(t *testing.T) {
	t.Helper()
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
}

// gate fails the test unless fn allocates nothing per run.
func gate(t *testing.T, name string, fn func()) {
	t.Helper()
	fn() // warm the pools
	if a := testing.AllocsPerRun(1000, fn); a != 0 {
		t.Errorf("%s: %.2f allocations per run, want 0", name, a)
	}
}

// TestReceiveNoAllocs: receiving masked 1 KiB text and binary messages on a
// server with an inline handler allocates nothing, whole or fragmented, and so
// does the inline echo of each and the pong for a ping.
func TestReceiveNoAllocs(t *testing.T) {
	skipIfRace(t)
	text := strings.Repeat("héllo wörld ", 1024/13+1)[:1020] + "abcd"
	bin := bytes.Repeat([]byte{0xA5, 0x00, 0xFF, 0x12}, 256)
	inputs := []struct {
		name string
		wire []byte
		msgs int
	}{
		{name: "text", wire: encodeFrom(seam.Server, msg(frame.OpText, text)), msgs: 1},
		{name: "binary", wire: encodeFrom(seam.Server, wf{op: frame.OpBinary, fin: true, payload: bin}), msgs: 1},
		{name: "fragmented text", wire: encodeFrom(seam.Server, frag(frame.OpText, false, text[:300]),
			frag(frame.OpContinuation, false, text[300:700]), frag(frame.OpContinuation, true, text[700:])), msgs: 1},
		{name: "ping", wire: encodeFrom(seam.Server, wf{op: frame.OpPing, fin: true, payload: []byte("ping")})},
	}
	for _, in := range inputs {
		for _, h := range []struct {
			name string
			echo bool
		}{{name: "nop"}, {name: "echo", echo: true}} {
			t.Run(in.name+"/"+h.name, func(t *testing.T) {
				var n int
				var handler session.Handler = countHandler{n: &n}
				if h.echo {
					handler = echoHandler{}
				}
				d := &discardDriver{}
				_, ep := newSession(t, session.Config{}, handler, seam.Server, d, nil)
				buf := make([]byte, len(in.wire))
				gate(t, "Feed", func() {
					copy(buf, in.wire) // Feed unmasked the last one in place
					if err := ep.Feed(buf); err != nil {
						t.Fatal(err)
					}
				})
				if !h.echo && n == 0 && in.msgs > 0 {
					t.Fatal("nothing delivered")
				}
				if _, frames := d.count(); h.echo && frames == 0 && in.msgs > 0 {
					t.Fatal("nothing echoed")
				}
			})
		}
	}
}

// TestSendNoAllocs: Send of a 1 KiB binary frame allocates nothing, from a
// server (unmasked) and a client (masked), borrowed or pooled, and neither
// does a fragmented message or a ping of the application's.
func TestSendNoAllocs(t *testing.T) {
	skipIfRace(t)
	p := bytes.Repeat([]byte{7}, 1024)
	for _, role := range roles {
		t.Run(roleName(role), func(t *testing.T) {
			d := &discardDriver{}
			s, _ := newSession(t, session.Config{}, session.NopHandler{}, role, d, nil)
			ctx := context.Background()
			gate(t, "Send(BorrowBinary)", func() {
				if err := s.Send(ctx, session.BorrowBinary(p)); err != nil {
					t.Fatal(err)
				}
			})
			gate(t, "Send(CopyText)", func() {
				if err := s.Send(ctx, session.CopyText("pooled text payload")); err != nil {
					t.Fatal(err)
				}
			})
			gate(t, "Send(CopyBinary)", func() {
				if err := s.Send(ctx, session.CopyBinary(p)); err != nil {
					t.Fatal(err)
				}
			})
			gate(t, "Send(fragments)", func() {
				if err := s.Send(ctx, session.Frame{Op: frame.OpBinary, Payload: p[:512]}); err != nil {
					t.Fatal(err)
				}
				if err := s.Send(ctx, session.Frame{Fin: true, Op: frame.OpContinuation, Payload: p[512:]}); err != nil {
					t.Fatal(err)
				}
			})
			gate(t, "Send(ping)", func() {
				if err := s.Send(ctx, control(frame.OpPing, p[:125])); err != nil {
					t.Fatal(err)
				}
			})
			if n, _ := d.count(); n < 3000*1024 {
				t.Fatalf("only %d bytes written", n)
			}
		})
	}
}

// TestChannelReceiveNoAllocs: a channel-style receive (Feed, read Incoming,
// Release) allocates nothing.
func TestChannelReceiveNoAllocs(t *testing.T) {
	skipIfRace(t)
	wire := encodeFrom(seam.Server, wf{op: frame.OpBinary, fin: true, payload: make([]byte, 1024)})
	d := &discardDriver{}
	s, ep := newSession(t, session.Config{}, nil, seam.Server, d, nil)
	in := s.Incoming()
	buf := make([]byte, len(wire))
	gate(t, "Feed+Incoming", func() {
		copy(buf, wire)
		if err := ep.Feed(buf); err != nil {
			t.Fatal(err)
		}
		f := <-in
		f.Release()
	})
}

// TestChannelEchoLoopAllocs: the goroutine-per-session echo loop
// `for f := range s.Incoming() { s.Send(ctx, f) }` allocates (almost) nothing
// per message once the pools are warm, measured with runtime.MemStats over
// many messages.
func TestChannelEchoLoopAllocs(t *testing.T) {
	skipIfRace(t)
	for _, tt := range []struct {
		name  string
		op    frame.Opcode
		batch int // messages fed before waiting for their echoes
	}{
		{name: "binary one by one", op: frame.OpBinary, batch: 1},
		{name: "text one by one", op: frame.OpText, batch: 1},
		{name: "binary batches", op: frame.OpBinary, batch: 8},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var echoed atomic.Int64
			d := &countingDriver{echoed: &echoed}
			loopDone := make(chan struct{})
			// The route's function runs on a goroutine of its own,
			// started by Start.
			echo := func(s *session.Session) {
				defer close(loopDone)
				ctx := context.Background()
				for f := range s.Incoming() {
					_ = s.Send(ctx, f)
				}
			}
			_, ep := startSession(newRoute(&session.Config{}, nil, echo, nil, nil), seam.Server, d, nil)
			wire := encodeFrom(seam.Server, wf{op: tt.op, fin: true, payload: bytes.Repeat([]byte("x"), 1024)})
			buf := make([]byte, len(wire))
			sent := int64(0)
			run := func(n int) {
				for i := 0; i < n; i += tt.batch {
					for k := 0; k < tt.batch; k++ {
						copy(buf, wire)
						if err := ep.Feed(buf); err != nil {
							t.Fatal(err)
						}
						sent++
					}
					deadline := time.Now().Add(5 * time.Second)
					for echoed.Load() < sent {
						if time.Now().After(deadline) {
							t.Fatalf("echo stalled at %d of %d", echoed.Load(), sent)
						}
						runtime.Gosched()
					}
				}
			}
			run(2000) // warm-up: pools, sudogs, goroutine stacks
			const n = 20000
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			run(n)
			runtime.ReadMemStats(&after)
			per := float64(after.Mallocs-before.Mallocs) / n
			t.Logf("%.4f allocations per message (%d over %d)", per, after.Mallocs-before.Mallocs, n)
			if per >= 0.05 {
				t.Errorf("%.4f allocations per echoed message, want < 0.05", per)
			}
			ep.Closed(nil)
			waitClosed(t, loopDone, "the echo loop to end")
		})
	}
}

// countingDriver discards writes and counts the 1 KiB echo frames in them
// (a write may carry several: frames written during Feed are batched).
type countingDriver struct {
	nopDriver
	echoed *atomic.Int64
}

// echoFrameLen is the wire size of a 1 KiB unmasked frame: 4 header bytes.
const echoFrameLen = 4 + 1024

func (d *countingDriver) Write(b []byte) (int, error) {
	d.echoed.Add(int64(len(b) / echoFrameLen))
	return len(b), nil
}

// TestPoolBurstNoAllocs: under DispatchPool, one feeder with a single P (an
// event loop at GOMAXPROCS=1) that delivers to many sessions back to back
// allocates nothing, even for a burst larger than any before. Each waiting
// message holds a pooled copy; if the feeder did not let the workers catch
// up, the copies in flight would peak at the burst size and every new peak
// would allocate.
func TestPoolBurstNoAllocs(t *testing.T) {
	skipIfRace(t)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	pool := seam.NewPool(1)
	defer pool.Close()
	var n atomic.Int64
	cfg := session.Config{Dispatch: session.DispatchPool}
	mk := newRoute(&cfg, atomicCountHandler{n: &n}, nil, nil, pool)
	const sessions = 1024
	eps := make([]seam.Endpoint, sessions)
	for i := range eps {
		_, eps[i] = startSession(mk, seam.Server, nopDriver{}, nil)
	}
	wire := encodeFrom(seam.Server, wf{op: frame.OpBinary, fin: true, payload: make([]byte, 1024)})
	buf := make([]byte, len(wire))
	want := int64(0)
	burst := func(k int) {
		for _, ep := range eps[:k] {
			copy(buf, wire) // Feed unmasked the last one in place
			if err := ep.Feed(buf); err != nil {
				t.Fatal(err)
			}
		}
		want += int64(k)
		deadline := time.Now().Add(5 * time.Second)
		for n.Load() < want {
			if time.Now().After(deadline) {
				t.Fatalf("pool stalled at %d of %d messages", n.Load(), want)
			}
			runtime.Gosched()
		}
	}
	// Warm the pools with small bursts. In flight peaks at the yield
	// threshold plus one: one schedule in 61 the Go scheduler takes the
	// yielding feeder from the global run queue ahead of the worker, and
	// 1,000 bursts make sure that has happened.
	testalloc.Zero(t, "bursts of 128 to 1024 messages after bursts of 64",
		func() {
			for range 1000 {
				burst(64)
			}
		},
		func() {
			for _, k := range []int{128, 256, 512, 1024} {
				burst(k)
			}
		})
}

// atomicCountHandler counts messages from any goroutine.
type atomicCountHandler struct {
	session.NopHandler
	n *atomic.Int64
}

func (h atomicCountHandler) OnMessage(*session.Session, session.Frame) { h.n.Add(1) }
