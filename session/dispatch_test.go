package session_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

// readIncoming reads n frames from in with a bound, releasing each.
func readIncoming(t *testing.T, in <-chan session.Frame, n int) []string {
	t.Helper()
	var got []string
	for i := 0; i < n; i++ {
		select {
		case f, ok := <-in:
			if !ok {
				t.Fatalf("Incoming closed after %d of %d messages", i, n)
			}
			if !f.Fin {
				t.Fatalf("message %d not final", i)
			}
			got = append(got, opTag(f.Op)+string(f.Payload))
			f.Release()
		case <-time.After(5 * time.Second):
			t.Fatalf("timed out after %d of %d messages", i, n)
		}
	}
	return got
}

// TestChannelStyle: without a Handler, joined messages arrive on Incoming in
// order, control frames do not, and Incoming is closed at the end.
func TestChannelStyle(t *testing.T) {
	for _, role := range roles {
		t.Run(roleName(role), func(t *testing.T) {
			d := newMemDriver()
			s, ep := newSession(t, session.Config{}, nil, role, d, nil)
			in := s.Incoming()
			if in == nil {
				t.Fatal("Incoming nil on a channel-style session")
			}
			wire := encodeFrom(role, msg(frame.OpText, "one"), frag(frame.OpBinary, false, "tw"),
				wf{op: frame.OpPing, fin: true}, frag(frame.OpContinuation, true, "o"), msg(frame.OpText, "three"))
			if err := ep.Feed(wire); err != nil {
				t.Fatal(err)
			}
			if got, want := readIncoming(t, in, 3), []string{"t:one", "b:two", "t:three"}; !slices.Equal(got, want) {
				t.Fatalf("Incoming gave %q, want %q", got, want)
			}
			ep.Closed(io.EOF)
			select {
			case _, ok := <-in:
				if ok {
					t.Fatal("a frame after the end")
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Incoming not closed at the end")
			}
			if s.CloseReason().Code != frame.CloseAbnormal || s.Err() == nil {
				t.Fatalf("CloseReason %v Err %v", s.CloseReason(), s.Err())
			}
		})
	}
}

// TestChannelSlowReader: when the application does not read, the session
// stops reading from the peer and resumes once the application catches up,
// losing nothing and keeping the order.
func TestChannelSlowReader(t *testing.T) {
	d := newMemDriver()
	s, ep := newSession(t, session.Config{IncomingBuffer: 1, QueueLimit: 4}, nil, seam.Server, d, nil)
	const n = 10
	var want []string
	for i := 0; i < n; i++ {
		p := fmt.Sprintf("m%d", i)
		want = append(want, "t:"+p)
		if err := ep.Feed(encodeFrom(seam.Server, msg(frame.OpText, p))); err != nil {
			t.Fatal(err)
		}
	}
	if p := d.pauseLog(); len(p) == 0 || !p[0] {
		t.Fatalf("PauseRead calls %v, want a pause", p)
	}
	if got := readIncoming(t, s.Incoming(), n); !slices.Equal(got, want) {
		t.Fatalf("Incoming gave %q, want %q", got, want)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		p := d.pauseLog()
		if len(p) >= 2 && !p[len(p)-1] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PauseRead calls %v, want a resume", p)
		}
		time.Sleep(time.Millisecond)
	}
	ep.Closed(io.EOF)
	if _, ok := <-s.Incoming(); ok {
		t.Fatal("frame after the end")
	}
}

// TestChannelRun: a channel-style route's function runs on a goroutine of its
// own, started by Start (Start returns while it runs); when it returns the
// session is closed normally (1000) and Incoming is drained until the end, so
// a peer the function left unread is read again.
func TestChannelRun(t *testing.T) {
	d := newMemDriver()
	release := make(chan struct{})
	running := make(chan *session.Session, 1)
	run := func(s *session.Session) {
		running <- s
		<-release
	}
	cfg := session.Config{IncomingBuffer: 1, QueueLimit: 2}
	s, ep := startSession(newRoute(&cfg, nil, run, nil, nil), seam.Server, d, nil)
	select {
	case got := <-running:
		if got != s {
			t.Fatal("the route's function got another session")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Start did not start the route's function")
	}
	for i := 0; i < 8; i++ {
		if err := ep.Feed(encodeFrom(seam.Server, msg(frame.OpText, "unread"))); err != nil {
			t.Fatal(err)
		}
	}
	if p := d.pauseLog(); len(p) == 0 || !p[0] {
		t.Fatalf("PauseRead calls %v, want a pause while nobody reads", p)
	}
	if len(d.bytes()) != 0 {
		t.Fatal("the session closed while the function ran")
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for len(d.frames(t)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the session was not closed when the function returned")
		}
		time.Sleep(time.Millisecond)
	}
	wantClose(t, d.frames(t)[0], frame.CloseNormal, "")
	for {
		// Incoming is drained: reading resumes.
		p := d.pauseLog()
		if len(p) >= 2 && !p[len(p)-1] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PauseRead calls %v, want a resume once Incoming is drained", p)
		}
		time.Sleep(time.Millisecond)
	}
	if err := ep.Feed(encodeFrom(seam.Server, closeFrame(closePayload(frame.CloseNormal, "")))); err != nil {
		t.Fatal(err)
	}
	wantTransportClosed(t, d, true, "after the peer's close")
	ep.Closed(nil)
	waitClosed(t, s.Done(), "Done")
	if r := s.CloseReason(); r.Code != frame.CloseNormal || s.Err() != nil {
		t.Fatalf("CloseReason %v Err %v, want 1000 and no error", r, s.Err())
	}
}

// TestChannelRunPanic: a route's function that panics has its session
// closed with 1011, and the error says the handler panicked.
func TestChannelRunPanic(t *testing.T) {
	d := newMemDriver()
	run := func(*session.Session) { panic("handler bug") }
	s, ep := startSession(newRoute(&session.Config{}, nil, run, nil, nil), seam.Server, d, nil)
	deadline := time.Now().Add(5 * time.Second)
	for len(d.frames(t)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no close after the function panicked")
		}
		time.Sleep(time.Millisecond)
	}
	wantClose(t, d.frames(t)[0], frame.CloseInternalError, "internal error")
	if !errors.Is(s.Err(), session.ErrHandlerPanic) {
		t.Fatalf("Err = %v, want ErrHandlerPanic", s.Err())
	}
	_ = ep.Feed(encodeFrom(seam.Server, closeFrame(closePayload(frame.CloseNormal, ""))))
	ep.Closed(nil)
	if r := s.CloseReason(); r.Code != frame.CloseInternalError {
		t.Fatalf("CloseReason %v, want 1011", r)
	}
}

// TestChannelEchoWireBytes: a channel-style server session delivers a masked
// text message on Incoming, and sending the received frame back (Send takes
// ownership) writes it unmasked, byte for byte.
func TestChannelEchoWireBytes(t *testing.T) {
	d := newMemDriver()
	s, ep := newSession(t, session.Config{}, nil, seam.Server, d, &session.Request{Path: "/chat"})
	if err := ep.Feed(encodeFrom(seam.Server, msg(frame.OpText, "hello"))); err != nil {
		t.Fatal(err)
	}
	f := <-s.Incoming()
	if f.Text() != "hello" || f.Op != frame.OpText || !f.Fin {
		t.Fatalf("received %v fin=%v %q", f.Op, f.Fin, f.Payload)
	}
	if err := s.Send(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if got, want := d.bytes(), []byte{0x81, 0x05, 'h', 'e', 'l', 'l', 'o'}; !bytes.Equal(got, want) {
		t.Fatalf("wrote % x, want % x", got, want)
	}
}

// TestEventOrder: OnOpen first, OnMessage in order, OnClose last, inline and
// on a pool.
func TestEventOrder(t *testing.T) {
	pool := seam.NewPool(2)
	defer pool.Close()
	for _, tt := range []struct {
		name string
		cfg  session.Config
		pool seam.Pool
	}{
		{name: "inline", cfg: session.Config{Dispatch: session.DispatchInline}},
		{name: "pool", cfg: session.Config{Dispatch: session.DispatchPool}, pool: pool},
		{name: "default pool", cfg: session.Config{Dispatch: session.DispatchPool}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder()
			d := newMemDriver()
			_, ep := startSession(newRoute(&tt.cfg, rec, nil, nil, tt.pool), seam.Server, d, nil)
			const n = 100
			var want []string
			var wire []byte
			for i := 0; i < n; i++ {
				p := fmt.Sprintf("msg-%03d", i)
				want = append(want, "b:"+p)
				if i%10 == 0 {
					wire = append(wire, encodeFrom(seam.Server, frag(frame.OpBinary, false, p[:3]), frag(frame.OpContinuation, true, p[3:]))...)
				} else {
					wire = append(wire, encodeFrom(seam.Server, msg(frame.OpBinary, p))...)
				}
			}
			wire = append(wire, encodeFrom(seam.Server, closeFrame(closePayload(frame.CloseNormal, "end")))...)
			if err := ep.Feed(wire); err != nil {
				t.Fatal(err)
			}
			waitTransportClosed(t, d, true, "after the handshake")
			ep.Closed(nil)
			waitClosed(t, rec.closed, "OnClose")
			kinds := rec.kinds()
			if kinds[0] != "open" || kinds[len(kinds)-1] != "close" || len(kinds) != n+2 {
				t.Fatalf("events %v", kinds)
			}
			if got := rec.messages(); !slices.Equal(got, want) {
				t.Fatalf("messages %q", got)
			}
			if r := rec.events()[n+1].rsn; r.Code != frame.CloseNormal || r.Reason != "end" {
				t.Fatalf("OnClose reason %v", r)
			}
		})
	}
}

// panicky panics on a message reading "boom" and records the rest.
type panicky struct{ *recorder }

func (p panicky) OnMessage(s *session.Session, f session.Frame) {
	if string(f.Payload) == "boom" {
		panic("handler bug")
	}
	p.recorder.OnMessage(s, f)
}

// TestHandlerPanic: a panicking handler closes its session with 1011 and
// leaves other sessions with the same Config (and pool worker) working.
func TestHandlerPanic(t *testing.T) {
	pool := seam.NewPool(1) // one worker: it must survive the panic
	defer pool.Close()
	for _, tt := range []struct {
		name     string
		dispatch session.Dispatch
	}{
		{name: "inline", dispatch: session.DispatchInline},
		{name: "pool", dispatch: session.DispatchPool},
	} {
		t.Run(tt.name, func(t *testing.T) {
			recA, recB := newRecorder(), newRecorder()
			cfg := session.Config{Dispatch: tt.dispatch}
			dA, dB := newMemDriver(), newMemDriver()
			a, epA := startSession(newRoute(&cfg, panicky{recA}, nil, nil, pool), seam.Server, dA, nil)
			b, epB := startSession(newRoute(&cfg, panicky{recB}, nil, nil, pool), seam.Server, dB, nil)
			if err := epA.Feed(encodeFrom(seam.Server, msg(frame.OpText, "boom"))); err != nil {
				t.Fatalf("Feed: %v", err)
			}
			if err := epB.Feed(encodeFrom(seam.Server, msg(frame.OpText, "fine"))); err != nil {
				t.Fatalf("Feed: %v", err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for len(dA.bytes()) == 0 || len(recB.messages()) == 0 {
				if time.Now().After(deadline) {
					t.Fatal("no close from the panicking session or no message on the other")
				}
				time.Sleep(time.Millisecond)
			}
			fs := dA.frames(t)
			if len(fs) != 1 {
				t.Fatalf("panicking session wrote %d frames", len(fs))
			}
			wantClose(t, fs[0], frame.CloseInternalError, "internal error")
			if !errors.Is(a.Err(), session.ErrHandlerPanic) || a.CloseReason().Code != frame.CloseInternalError {
				t.Fatalf("Err %v CloseReason %v", a.Err(), a.CloseReason())
			}
			if len(dB.bytes()) != 0 || b.CloseReason().Code != 0 {
				t.Fatal("the other session was affected")
			}
			if got := recB.messages(); !slices.Equal(got, []string{"t:fine"}) {
				t.Fatalf("other session got %q", got)
			}
			_ = epA.Feed(encodeFrom(seam.Server, closeFrame(closePayload(frame.CloseNormal, ""))))
			epA.Closed(nil)
			waitClosed(t, recA.closed, "OnClose of the panicking session")
			if got := recA.kinds(); got[len(got)-2] != "error" {
				t.Fatalf("events %v, want OnError before OnClose", got)
			}
		})
	}
}

// TestOutgoingThenClose: frames put in Outgoing before Close are written
// before the close frame, even with short writes.
func TestOutgoingThenClose(t *testing.T) {
	d := newMemDriver()
	d.chunk = 50
	cfg := session.Config{Dispatch: session.DispatchPool} // inline sessions never wait
	s, ep := newSession(t, cfg, session.NopHandler{}, seam.Server, d, nil)
	stop := make(chan struct{})
	defer close(stop)
	d.pumpWritable(ep, stop)
	out := s.Outgoing()
	const n = 40
	for i := 0; i < n; i++ {
		out <- session.CopyText(fmt.Sprintf("frame %02d %s", i, strings.Repeat("x", i*5)))
	}
	if err := s.Close(session.CloseReason{Code: frame.CloseNormal, Reason: "bye"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	var fs []wireFrame
	for {
		b := d.bytes()
		fs = nil
		if len(b) > 0 {
			// Parse only whole frames: the pump may be mid-write.
			fs = parseWhole(b)
		}
		if len(fs) > 0 && fs[len(fs)-1].Op == frame.OpClose {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("close frame not written (%d frames so far)", len(fs))
		}
		time.Sleep(time.Millisecond)
	}
	if len(fs) != n+1 {
		t.Fatalf("wrote %d frames, want %d and a close", len(fs), n)
	}
	for i := 0; i < n; i++ {
		if !strings.HasPrefix(string(fs[i].Payload), fmt.Sprintf("frame %02d ", i)) {
			t.Fatalf("frame %d is %q", i, fs[i].Payload)
		}
	}
	wantClose(t, fs[n], frame.CloseNormal, "bye")
	if err := s.Send(context.Background(), session.CopyText("late")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Send after Close = %v", err)
	}
}

// TestOutgoingRacesClose: frames put in Outgoing before Close all go out
// before the close frame, however the drainer and Close interleave. The
// drainer once asked whether a Close was pending before sending each frame,
// so one read just before Close and sent just after it was dropped
// (TestOutgoingThenClose caught it once under the race detector).
func TestOutgoingRacesClose(t *testing.T) {
	for round := range 300 {
		d := newMemDriver()
		s, ep := newSession(t, session.Config{Dispatch: session.DispatchPool}, session.NopHandler{}, seam.Server, d, nil)
		stop := make(chan struct{})
		d.pumpWritable(ep, stop)
		out := s.Outgoing()
		const n = 3
		for i := range n {
			out <- session.CopyText(fmt.Sprintf("frame %d", i))
		}
		if err := s.Close(session.CloseReason{Code: frame.CloseNormal}); err != nil {
			t.Fatal(err)
		}
		var fs []wireFrame
		deadline := time.Now().Add(5 * time.Second)
		for {
			if b := d.bytes(); len(b) > 0 {
				fs = parseWhole(b)
			}
			if len(fs) > 0 && fs[len(fs)-1].Op == frame.OpClose {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: close frame not written (%d frames so far)", round, len(fs))
			}
			runtime.Gosched()
		}
		close(stop)
		if len(fs) != n+1 {
			t.Fatalf("round %d: %d frames before the close, want %d", round, len(fs)-1, n)
		}
	}
}

// parseWhole decodes the whole frames at the start of b and ignores a partial
// one at the end.
func parseWhole(b []byte) []wireFrame {
	var fs []wireFrame
	for len(b) > 0 {
		var h frame.Header
		n, need, err := frame.DecodeHeader(b, &h)
		if err != nil || need > 0 || int64(len(b)-n) < h.Length {
			break
		}
		fs = append(fs, wireFrame{Header: h, Payload: b[n : n+int(h.Length)]})
		b = b[n+int(h.Length):]
	}
	return fs
}

// TestPingTimer: Timer sends a ping and arms the pong timeout; a pong re-arms
// the ping interval; a Timer with the pong missing closes the session.
func TestPingTimer(t *testing.T) {
	const every = 2 * time.Second
	s, ep, d, rec := newEventSession(t, session.Config{PingInterval: every, Timeout: time.Second}, seam.Client)
	if got := d.lastTimer(); got != every {
		t.Fatalf("Start armed %v, want the ping interval", got)
	}
	ep.Timer()
	fs := d.frames(t)
	if len(fs) != 1 || fs[0].Op != frame.OpPing || !fs[0].Masked {
		t.Fatalf("Timer wrote %v, want a masked ping", fs)
	}
	if got := d.lastTimer(); got != time.Second {
		t.Fatalf("after the ping the timer is %v, want the Timeout", got)
	}
	if err := ep.Feed(encodeFrom(seam.Client, wf{op: frame.OpPong, fin: true, payload: fs[0].Payload})); err != nil {
		t.Fatal(err)
	}
	if got := d.lastTimer(); got != every {
		t.Fatalf("after the pong the timer is %v, want the ping interval", got)
	}
	ep.Timer() // next ping
	ep.Timer() // no pong: give up
	fs = d.frames(t)
	if len(fs) != 3 || fs[1].Op != frame.OpPing || fs[2].Op != frame.OpClose {
		t.Fatalf("wrote %d frames, want ping, ping, close", len(fs))
	}
	wantTransportClosed(t, d, false, "after a missing pong")
	ep.Closed(nil)
	waitClosed(t, rec.closed, "OnClose")
	if !errors.Is(s.Err(), session.ErrTimeout) {
		t.Fatalf("Err = %v, want ErrTimeout", s.Err())
	}
	if got := rec.kinds(); !slices.Equal(got, []string{"open", "error", "close"}) {
		t.Fatalf("events %v", got)
	}
}

// TestPingSetters: per-session settings override the Config.
func TestPingSetters(t *testing.T) {
	s, ep, d, _ := newEventSession(t, session.Config{}, seam.Server)
	if s.PingInterval() != 0 {
		t.Fatal("pings on by default")
	}
	ep.Timer()
	if len(d.bytes()) != 0 {
		t.Fatal("ping sent with pings off")
	}
	s.SetPingInterval(time.Second)
	if d.lastTimer() != time.Second || s.PingInterval() != time.Second {
		t.Fatal("SetPingInterval did not arm the timer")
	}
	if s.Timeout() != defaultTimeout || s.MaxFrameSize() != defaultMaxMessageSize {
		t.Fatalf("defaults: Timeout %v MaxFrameSize %d, want %v and %d", s.Timeout(), s.MaxFrameSize(), defaultTimeout, defaultMaxMessageSize)
	}
	s.SetTimeout(3 * time.Second)
	if s.Timeout() != 3*time.Second {
		t.Fatalf("Timeout %v", s.Timeout())
	}
	s.SetTimeout(0)
	if s.Timeout() != defaultTimeout {
		t.Fatalf("SetTimeout(0): Timeout %v, want the configured %v", s.Timeout(), defaultTimeout)
	}
	s.SetMaxFrameSize(4)
	if s.MaxFrameSize() != 4 {
		t.Fatalf("MaxFrameSize %d", s.MaxFrameSize())
	}
	if err := ep.Feed(encodeFrom(seam.Server, msg(frame.OpBinary, "12345"))); closeCode(err) != frame.CloseMessageTooBig {
		t.Fatalf("Feed over SetMaxFrameSize = %v, want 1009", err)
	}
	s.SetMaxFrameSize(0)
	if s.MaxFrameSize() != defaultMaxMessageSize {
		t.Fatalf("SetMaxFrameSize(0): MaxFrameSize %d, want the configured %d", s.MaxFrameSize(), defaultMaxMessageSize)
	}
}

// TestDispatchMode: a route decides once where its sessions' messages go: to
// Incoming when it has no handler (whatever Config.Dispatch says), to the
// handler otherwise, which leaves Incoming nil. The route copies its Config,
// so changing the caller's afterwards changes nothing.
func TestDispatchMode(t *testing.T) {
	for _, dispatch := range []session.Dispatch{session.DispatchInline, session.DispatchPool} {
		t.Run(fmt.Sprint("dispatch", dispatch), func(t *testing.T) {
			cfg := session.Config{Dispatch: dispatch}
			channel := newRoute(&cfg, nil, nil, nil, nil)
			rec := newRecorder()
			event := newRoute(&cfg, rec, nil, nil, nil)

			s, ep := startSession(channel, seam.Server, newMemDriver(), nil)
			if s.Incoming() == nil {
				t.Fatal("Incoming nil on a route without a handler")
			}
			if err := ep.Feed(encodeFrom(seam.Server, msg(frame.OpText, "to incoming"))); err != nil {
				t.Fatal(err)
			}
			if got := readIncoming(t, s.Incoming(), 1); !slices.Equal(got, []string{"t:to incoming"}) {
				t.Fatalf("Incoming gave %q", got)
			}

			e, eep := startSession(event, seam.Server, newMemDriver(), nil)
			if e.Incoming() != nil {
				t.Fatal("Incoming not nil on a route with a handler")
			}
			if err := eep.Feed(encodeFrom(seam.Server, msg(frame.OpText, "to handler"))); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for len(rec.messages()) == 0 {
				if time.Now().After(deadline) {
					t.Fatal("the handler got nothing")
				}
				time.Sleep(time.Millisecond)
			}
			if got := rec.messages(); !slices.Equal(got, []string{"t:to handler"}) {
				t.Fatalf("handler got %q", got)
			}

			// The routes copied cfg: a later change does not reach them.
			cfg.MaxMessageSize = 4
			for _, mk := range []sessionMaker{channel, event} {
				s, _ := startSession(mk, seam.Server, newMemDriver(), nil)
				if s.MaxFrameSize() != defaultMaxMessageSize {
					t.Fatalf("MaxFrameSize %d after the caller's Config changed, want %d", s.MaxFrameSize(), defaultMaxMessageSize)
				}
			}
		})
	}
}
