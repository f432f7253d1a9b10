package session_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

// Tests of the Ktor-parity issue: each names the footgun it guards.

// endSession ends s's transport as a peer that vanished would.
func endSession(t *testing.T, s *session.Session, ep seam.Endpoint) {
	t.Helper()
	ep.Closed(io.EOF)
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the session did not end")
	}
}

// TestOutgoingAfterEndNeverBlocks: a channel-style handler that keeps
// writing to Outgoing after the peer left (a natural port of Ktor's
// outgoing.send) must not block once the channel's buffer is full.
func TestOutgoingAfterEndNeverBlocks(t *testing.T) {
	s, ep := newSession(t, session.Config{IncomingBuffer: 2}, nil, seam.Server, newMemDriver(), nil)
	out := s.Outgoing()
	endSession(t, s, ep)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 1000; i++ { // far more than the buffer of 2
			out <- session.CopyText("after the end")
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("a send to Outgoing after the session ended blocked")
	}
	runtime.KeepAlive(s)
}

// TestOutgoingDrainerEnds: the goroutine that keeps Outgoing from blocking
// after the end must not outlive the Session, or every such session would
// leak one.
func TestOutgoingDrainerEnds(t *testing.T) {
	before := runtime.NumGoroutine()
	const n = 50
	// Held until counted: a collection during the loop would otherwise end
	// the drainers of the sessions collected so far, which is right, but
	// would leave too few to show that they ran.
	held := make([]*session.Session, 0, n)
	for i := 0; i < n; i++ {
		s, ep := newSession(t, session.Config{}, nil, seam.Server, newMemDriver(), nil)
		s.Outgoing() <- session.CopyText("x")
		endSession(t, s, ep)
		held = append(held, s)
	}
	if g := runtime.NumGoroutine(); g < before+n/2 {
		t.Fatalf("%d goroutines with %d ended sessions that used Outgoing, %d before: the drainers did not run", g, n, before)
	}
	runtime.KeepAlive(held) // and no longer: the loop below waits for them to be collected
	deadline := time.Now().Add(30 * time.Second)
	for runtime.NumGoroutine() > before+n/10 {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines left, %d before: Outgoing's drainers outlive their sessions", runtime.NumGoroutine(), before)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

// TestOutgoingInvalidFrameReported: a frame Send would refuse has no caller
// on Outgoing; it must not vanish without a trace.
func TestOutgoingInvalidFrameReported(t *testing.T) {
	s, _ := newSession(t, session.Config{}, nil, seam.Server, newMemDriver(), nil)
	s.Outgoing() <- session.Frame{Fin: true, Op: frame.OpPing, Payload: make([]byte, 200)} // over 125 bytes
	select {
	case <-s.Done():
		t.Fatal("the session ended before its close handshake")
	case <-time.After(0):
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.Err() == nil {
		if time.Now().After(deadline) {
			t.Fatal("an oversize ping put in Outgoing left no trace")
		}
		time.Sleep(time.Millisecond)
	}
	if !errors.Is(s.Err(), session.ErrInvalidFrame) {
		t.Fatalf("Err = %v, want ErrInvalidFrame wrapped", s.Err())
	}
	if r := s.CloseReason(); r.Code != frame.CloseInternalError {
		t.Fatalf("CloseReason = %v, want 1011", r)
	}
}

// TestOutgoingDropReported: under BackpressureDrop, a frame of Outgoing that
// was dropped shows in Err while the session goes on.
func TestOutgoingDropReported(t *testing.T) {
	d := newMemDriver()
	d.setBlocked(true)
	s, _ := newSession(t, session.Config{Backlog: 64, Backpressure: session.BackpressureDrop}, nil, seam.Server, d, nil)
	big := strings.Repeat("x", 100)
	out := s.Outgoing()
	out <- session.CopyText(big) // over the backlog: queued
	out <- session.CopyText(big) // dropped
	deadline := time.Now().Add(10 * time.Second)
	for s.Err() == nil {
		if time.Now().After(deadline) {
			t.Fatal("a frame of Outgoing dropped for backpressure left no trace")
		}
		time.Sleep(time.Millisecond)
	}
	if !errors.Is(s.Err(), session.ErrBacklogFull) {
		t.Fatalf("Err = %v, want ErrBacklogFull wrapped", s.Err())
	}
	if r := s.CloseReason(); r != (session.CloseReason{}) {
		t.Fatalf("the session closed (%v); a drop must not close it", r)
	}
}

// TestMaxFrameSizeUnlimited: Ktor's "unlimited" maxFrameSize
// (Long.MAX_VALUE) must let a message over the 32 MiB default through,
// from the Config and from SetMaxFrameSize; an explicit MaxMessageSize
// still bounds it.
func TestMaxFrameSizeUnlimited(t *testing.T) {
	const size = 33 << 20
	payload := strings.Repeat("a", size)
	cases := []struct {
		name    string
		cfg     session.Config
		setter  bool
		wantErr bool
	}{
		{name: "config", cfg: session.Config{MaxFrameSize: math.MaxInt64}},
		{name: "setter", setter: true},
		{name: "default", wantErr: true},
		{name: "message_limit_kept", cfg: session.Config{MaxFrameSize: math.MaxInt64, MaxMessageSize: 1 << 20}, wantErr: true},
	}
	wire := encodeFrom(seam.Server, msg(frame.OpText, payload))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, ep, _, rec := newEventSession(t, tc.cfg, seam.Server)
			if tc.setter {
				s.SetMaxFrameSize(math.MaxInt64)
			}
			err := ep.Feed(append([]byte(nil), wire...))
			if tc.wantErr {
				if closeCode(err) != frame.CloseMessageTooBig {
					t.Fatalf("Feed = %v, want 1009", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Feed = %v", err)
			}
			if evs := rec.events(); len(evs) != 2 || evs[1].kind != "message" || len(evs[1].data) != size {
				t.Fatalf("the 33 MiB message was not delivered (events %v)", rec.kinds())
			}
		})
	}
}

// TestPingTimeoutCloseReason: CloseReason is the close frame sent, as its
// doc says, also when a pong did not come.
func TestPingTimeoutCloseReason(t *testing.T) {
	s, ep, d, _ := newEventSession(t, session.Config{PingInterval: time.Second}, seam.Server)
	ep.Timer() // ping
	ep.Timer() // no pong: close
	fs := d.frames(t)
	last := fs[len(fs)-1]
	if last.Op != frame.OpClose {
		t.Fatalf("last frame %v, want a close", last.Op)
	}
	code, reason, err := frame.ParseClose(last.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.CloseReason(), (session.CloseReason{Code: code, Reason: string(reason)}); got != want {
		t.Fatalf("CloseReason = %v, close frame sent %v", got, want)
	}
	if !errors.Is(s.Err(), session.ErrTimeout) {
		t.Fatalf("Err = %v, want ErrTimeout", s.Err())
	}
}

// TestDocumentedFormats: what the docs show is what the code gives.
func TestDocumentedFormats(t *testing.T) {
	if got := (session.CloseReason{Code: frame.CloseNormal, Reason: "bye"}).String(); got != "1000 normal closure: bye" {
		t.Errorf("CloseReason.String() = %q, want the documented %q", got, "1000 normal closure: bye")
	}
	if got := (session.CloseReason{Code: frame.CloseAbnormal}).String(); got != "1006 abnormal closure" {
		t.Errorf("CloseReason.String() = %q, want the documented %q", got, "1006 abnormal closure")
	}
	var zero session.Frame
	if zero.Fin || zero.Op != frame.OpContinuation {
		t.Errorf("zero Frame: Fin %v Op %v, documented Fin false, OpContinuation", zero.Fin, zero.Op)
	}
	s, _, _, _ := newEventSession(t, session.Config{}, seam.Server)
	if err := s.Send(context.Background(), zero); !errors.Is(err, session.ErrInvalidFrame) {
		t.Errorf("Send(zero Frame) = %v, documented ErrInvalidFrame", err)
	}
}

// TestFragments: Config.Fragments delivers data frames as they arrive, with
// Ktor's fin flags, validating UTF-8 across them.
func TestFragments(t *testing.T) {
	euro := "\u20ac" // 3 bytes, split over two frames below
	t.Run("delivered_as_they_come", func(t *testing.T) {
		_, ep, _, rec := newEventSession(t, session.Config{Fragments: true, MaxMessageSize: 8}, seam.Server)
		wire := encodeFrom(seam.Server,
			frag(frame.OpText, false, "hello "+euro[:1]),
			wf{op: frame.OpPing, fin: true, payload: []byte("p")},
			frag(frame.OpContinuation, false, euro[1:]+" wide"),
			frag(frame.OpContinuation, true, " world"),
			msg(frame.OpBinary, "whole"))
		if err := ep.Feed(wire); err != nil {
			t.Fatalf("Feed = %v (MaxMessageSize must not bound a message nothing holds)", err)
		}
		var got []string
		for _, e := range rec.events() {
			if e.kind == "message" {
				got = append(got, e.op.String()+"|"+e.data)
			}
		}
		want := []string{"text|hello " + euro[:1], "continuation|" + euro[1:] + " wide", "continuation| world", "binary|whole"}
		if !slices.Equal(got, want) {
			t.Fatalf("delivered %q, want %q", got, want)
		}
	})
	t.Run("fin_flags", func(t *testing.T) {
		var fins []bool
		rec := newRecorder()
		rec.onMessage = func(_ *session.Session, f session.Frame) { fins = append(fins, f.Fin) }
		_, ep := newSession(t, session.Config{Fragments: true}, rec, seam.Server, newMemDriver(), nil)
		if err := ep.Feed(encodeFrom(seam.Server, frag(frame.OpBinary, false, "a"), frag(frame.OpContinuation, true, "b"))); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(fins, []bool{false, true}) {
			t.Fatalf("Fin flags %v, want [false true]", fins)
		}
	})
	t.Run("invalid_utf8_across_frames", func(t *testing.T) {
		_, ep, _, _ := newEventSession(t, session.Config{Fragments: true}, seam.Server)
		err := ep.Feed(encodeFrom(seam.Server, frag(frame.OpText, false, euro[:2]), frag(frame.OpContinuation, true, "x")))
		if closeCode(err) != frame.CloseInvalidPayload {
			t.Fatalf("Feed = %v, want 1007", err)
		}
	})
	t.Run("truncated_utf8_at_end", func(t *testing.T) {
		_, ep, _, _ := newEventSession(t, session.Config{Fragments: true}, seam.Server)
		err := ep.Feed(encodeFrom(seam.Server, frag(frame.OpText, false, "ok"), frag(frame.OpContinuation, true, euro[:1])))
		if closeCode(err) != frame.CloseInvalidPayload {
			t.Fatalf("Feed = %v, want 1007", err)
		}
	})
	t.Run("channel_style", func(t *testing.T) {
		s, ep := newSession(t, session.Config{Fragments: true}, nil, seam.Server, newMemDriver(), nil)
		if err := ep.Feed(encodeFrom(seam.Server, frag(frame.OpText, false, "a"), frag(frame.OpContinuation, true, "b"))); err != nil {
			t.Fatal(err)
		}
		for i, want := range []struct {
			op  frame.Opcode
			fin bool
			p   string
		}{{frame.OpText, false, "a"}, {frame.OpContinuation, true, "b"}} {
			f := <-s.Incoming()
			if f.Op != want.op || f.Fin != want.fin || string(f.Payload) != want.p {
				t.Fatalf("frame %d: %v fin=%v %q", i, f.Op, f.Fin, f.Payload)
			}
			f.Release()
		}
	})
}

// TestOnControl: received pings and pongs reach Config.OnControl, and a
// ping is still answered.
func TestOnControl(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	cfg := session.Config{OnControl: func(_ *session.Session, f session.Frame) {
		mu.Lock()
		seen = append(seen, f.Op.String()+":"+string(f.Payload))
		mu.Unlock()
	}}
	_, ep, d, _ := newEventSession(t, cfg, seam.Server)
	if err := ep.Feed(encodeFrom(seam.Server,
		wf{op: frame.OpPing, fin: true, payload: []byte("are you there")},
		wf{op: frame.OpPong, fin: true, payload: []byte("rtt-1")})); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"ping:are you there", "pong:rtt-1"}; !slices.Equal(seen, want) {
		t.Fatalf("OnControl saw %q, want %q", seen, want)
	}
	fs := d.frames(t)
	if len(fs) != 1 || fs[0].Op != frame.OpPong || string(fs[0].Payload) != "are you there" {
		t.Fatalf("wrote %v, want the pong", fs)
	}
}

// headRecorder records Request().Header in OnOpen and after.
type headRecorder struct {
	session.NopHandler
	open chan session.Request
}

func (h *headRecorder) OnOpen(s *session.Session) { h.open <- s.Request() }

// TestRequestHeaders: the handler reads any request header while it opens
// the session, with no KeepHeaders; afterwards the head is gone.
func TestRequestHeaders(t *testing.T) {
	check := func(t *testing.T, r session.Request) {
		t.Helper()
		h := r.Header
		if h.Get("User-Agent") != "surge-test/1" || h.Get("Host") != "example.com" || h.Get("Authorization") != "Bearer t0k3n" {
			t.Fatalf("headers while opening: %v", h)
		}
		if c := h.Values("Cookie"); !slices.Equal(c, []string{"a=1", "b=2"}) {
			t.Fatalf("cookies %q", c)
		}
	}
	for _, mode := range []session.Dispatch{session.DispatchInline, session.DispatchPool} {
		t.Run(map[session.Dispatch]string{session.DispatchInline: "inline", session.DispatchPool: "pool"}[mode], func(t *testing.T) {
			h := &headRecorder{open: make(chan session.Request, 1)}
			s, _ := newSession(t, session.Config{Dispatch: mode}, h, seam.Server, newMemDriver(), nil)
			select {
			case r := <-h.open:
				check(t, r)
			case <-time.After(10 * time.Second):
				t.Fatal("OnOpen did not run")
			}
			deadline := time.Now().Add(10 * time.Second)
			for s.Request().Header != nil { // the pool's worker drops it after OnOpen returns
				if time.Now().After(deadline) {
					t.Fatalf("after OnOpen the session still holds the headers: %v", s.Request().Header)
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
	t.Run("channel", func(t *testing.T) {
		got := make(chan session.Request, 1)
		returned := make(chan struct{})
		mk := newRoute(&session.Config{}, nil, func(s *session.Session) {
			defer close(returned)
			got <- s.Request()
			s.Incoming() // receiving: the open is over
			if h := s.Request().Header; h != nil {
				t.Errorf("after Incoming the session still holds the headers: %v", h)
			}
		}, nil, nil)
		s, _ := startSession(mk, seam.Server, newMemDriver(), nil)
		select {
		case r := <-got:
			check(t, r)
		case <-time.After(10 * time.Second):
			t.Fatal("the session function did not run")
		}
		<-returned
		deadline := time.Now().Add(10 * time.Second)
		for s.Request().Header != nil {
			if time.Now().After(deadline) {
				t.Fatal("after the session function returned the session still holds the headers")
			}
			time.Sleep(time.Millisecond)
		}
	})
}

// countingCodec is a binary Codec: a uint32, big-endian.
type countingCodec struct{ calls atomic.Int32 }

func (c *countingCodec) Append(dst []byte, v any) ([]byte, error) {
	c.calls.Add(1)
	n, ok := v.(uint32)
	if !ok {
		return dst, errors.New("not a uint32")
	}
	return binary.BigEndian.AppendUint32(dst, n), nil
}

func (c *countingCodec) Unmarshal(p []byte, v any) error {
	c.calls.Add(1)
	if len(p) != 4 {
		return errors.New("not 4 bytes")
	}
	*(v.(*uint32)) = binary.BigEndian.Uint32(p)
	return nil
}

func (c *countingCodec) Binary() bool { return true }

// badText is a text Codec that produces bytes that are not UTF-8.
type badText struct{}

func (badText) Append(dst []byte, _ any) ([]byte, error) { return append(dst, 0xff), nil }
func (badText) Unmarshal([]byte, any) error              { return nil }
func (badText) Binary() bool                             { return false }

// TestCodec: SendValue, Decode and Receive, with the JSON default and a
// Codec of one's own (Ktor's sendSerialized / receiveDeserialized).
func TestCodec(t *testing.T) {
	type point struct{ X, Y int }
	ctx := context.Background()
	t.Run("json_send", func(t *testing.T) {
		s, _, d, _ := newEventSession(t, session.Config{}, seam.Server)
		if err := s.SendValue(ctx, point{1, 2}); err != nil {
			t.Fatal(err)
		}
		fs := d.frames(t)
		if len(fs) != 1 || fs[0].Op != frame.OpText || string(fs[0].Payload) != `{"X":1,"Y":2}` {
			t.Fatalf("wrote %v %q", fs[0].Op, fs[0].Payload)
		}
		if err := s.SendValue(ctx, make(chan int)); err == nil || !strings.Contains(err.Error(), "chan int") {
			t.Fatalf("SendValue(chan) = %v, want an encoding error", err)
		}
	})
	t.Run("json_receive", func(t *testing.T) {
		s, ep := newSession(t, session.Config{}, nil, seam.Server, newMemDriver(), nil)
		if err := ep.Feed(encodeFrom(seam.Server, msg(frame.OpText, `{"X":3,"Y":4}`), msg(frame.OpBinary, "??"), msg(frame.OpText, "{"))); err != nil {
			t.Fatal(err)
		}
		var p point
		if err := s.Receive(ctx, &p); err != nil || p != (point{3, 4}) {
			t.Fatalf("Receive = %v, %+v", err, p)
		}
		if err := s.Receive(ctx, &p); !errors.Is(err, session.ErrInvalidFrame) {
			t.Fatalf("Receive of a binary message with JSON = %v, want ErrInvalidFrame", err)
		}
		if err := s.Receive(ctx, &p); err == nil {
			t.Fatal("Receive of bad JSON: no error")
		}
		endSession(t, s, ep)
		if err := s.Receive(ctx, &p); err != io.EOF {
			t.Fatalf("Receive after the end = %v, want io.EOF", err)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		s2, _ := newSession(t, session.Config{}, nil, seam.Server, newMemDriver(), nil)
		if err := s2.Receive(cctx, &p); err != context.Canceled {
			t.Fatalf("Receive with a canceled context = %v", err)
		}
	})
	t.Run("custom_binary", func(t *testing.T) {
		c := &countingCodec{}
		var got uint32
		rec := newRecorder()
		rec.onMessage = func(s *session.Session, f session.Frame) {
			if err := s.Decode(f, &got); err != nil {
				t.Errorf("Decode = %v", err)
			}
		}
		s, ep := newSession(t, session.Config{Codec: c}, rec, seam.Server, newMemDriver(), nil)
		if err := ep.Feed(encodeFrom(seam.Server, msg(frame.OpBinary, "\x00\x00\x01\x02"))); err != nil {
			t.Fatal(err)
		}
		if got != 258 {
			t.Fatalf("decoded %d, want 258", got)
		}
		if err := s.SendValue(ctx, uint32(7)); err != nil {
			t.Fatal(err)
		}
		if c.calls.Load() != 2 {
			t.Fatalf("codec called %d times, want 2", c.calls.Load())
		}
		if err := s.Receive(ctx, &got); err == nil {
			t.Fatal("Receive on an event-style session: no error")
		}
	})
	t.Run("text_codec_not_utf8", func(t *testing.T) {
		s, _, d, _ := newEventSession(t, session.Config{Codec: badText{}}, seam.Server)
		if err := s.SendValue(ctx, 1); !errors.Is(err, session.ErrInvalidFrame) {
			t.Fatalf("SendValue = %v, want ErrInvalidFrame", err)
		}
		if len(d.bytes()) != 0 {
			t.Fatal("an invalid text message was written")
		}
	})
}

// TestSendText: a string goes out as one text message, without a copy of
// its own (no allocation).
func TestSendText(t *testing.T) {
	s, _, d, _ := newEventSession(t, session.Config{}, seam.Server)
	if err := s.SendText(context.Background(), "héllo"); err != nil {
		t.Fatal(err)
	}
	fs := d.frames(t)
	if len(fs) != 1 || fs[0].Op != frame.OpText || !fs[0].Fin || string(fs[0].Payload) != "héllo" {
		t.Fatalf("wrote %+v", fs)
	}
	if raceEnabled {
		return
	}
	dd := &discardDriver{}
	s2, _ := newSession(t, session.Config{}, session.NopHandler{}, seam.Server, dd, nil)
	text := strings.Repeat("x", 1000)
	if n := testing.AllocsPerRun(100, func() { _ = s2.SendText(context.Background(), text) }); n != 0 {
		t.Fatalf("SendText: %v allocations, want 0", n)
	}
}

// TestCodecAllocs: surge's part of SendValue and Decode allocates nothing:
// JSON encoding of a pointer goes through encoding/json's pooled state
// into the pooled frame buffer, and a Codec without reflection decodes
// with no allocation either.
func TestCodecAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	ctx := context.Background()
	s, _ := newSession(t, session.Config{}, session.NopHandler{}, seam.Server, &discardDriver{}, nil)
	v := benchValue
	if n := testing.AllocsPerRun(200, func() { _ = s.SendValue(ctx, &v) }); n != 0 {
		t.Errorf("SendValue(JSON, pointer): %v allocations, want 0", n)
	}
	pc, _ := newSession(t, session.Config{Codec: pointCodec{}}, session.NopHandler{}, seam.Server, &discardDriver{}, nil)
	p := point{1, 2}
	wire := []byte{0, 0, 0, 5, 0, 0, 0, 6}
	if n := testing.AllocsPerRun(200, func() {
		_ = pc.SendValue(ctx, &p)
		_ = pc.Decode(session.BorrowBinary(wire), &p)
	}); n != 0 {
		t.Errorf("SendValue+Decode with a Codec without reflection: %v allocations, want 0", n)
	}
	if p != (point{5, 6}) {
		t.Errorf("decoded %+v", p)
	}
}
