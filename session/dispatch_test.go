package session_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/surgews/surge/frame"
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
	for _, role := range []session.Role{session.RoleServer, session.RoleClient} {
		t.Run(roleName(role), func(t *testing.T) {
			d := newMemDriver()
			cfg := session.Config{}
			s := session.New(&cfg, role, d, nil)
			s.Start()
			in := s.Incoming()
			if in == nil {
				t.Fatal("Incoming nil on a channel-style session")
			}
			wire := encodeFrom(role, msg(frame.OpText, "one"), frag(frame.OpBinary, false, "tw"),
				wf{op: frame.OpPing, fin: true}, frag(frame.OpContinuation, true, "o"), msg(frame.OpText, "three"))
			if err := s.Feed(wire); err != nil {
				t.Fatal(err)
			}
			if got, want := readIncoming(t, in, 3), []string{"t:one", "b:two", "t:three"}; !slices.Equal(got, want) {
				t.Fatalf("Incoming gave %q, want %q", got, want)
			}
			s.Closed(io.EOF)
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
	cfg := session.Config{IncomingBuffer: 1, QueueLimit: 4}
	s := session.New(&cfg, session.RoleServer, d, nil)
	s.Start()
	const n = 10
	var want []string
	for i := 0; i < n; i++ {
		p := fmt.Sprintf("m%d", i)
		want = append(want, "t:"+p)
		if err := s.Feed(encodeFrom(session.RoleServer, msg(frame.OpText, p))); err != nil {
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
	s.Closed(io.EOF)
	if _, ok := <-s.Incoming(); ok {
		t.Fatal("frame after the end")
	}
}

// TestChannelRun: Run closes normally when the function returns and drains
// Incoming until the end.
func TestChannelRun(t *testing.T) {
	d := newMemDriver()
	cfg := session.Config{}
	s := session.New(&cfg, session.RoleServer, d, nil)
	s.Start()
	_ = s.Feed(encodeFrom(session.RoleServer, msg(frame.OpText, "unread")))
	ran := make(chan struct{})
	go func() {
		s.Run(func(*session.Session) {})
		close(ran)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for len(d.frames(t)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("Run did not close")
		}
		time.Sleep(time.Millisecond)
	}
	wantClose(t, d.frames(t)[0], frame.CloseNormal, "")
	_ = s.Feed(encodeFrom(session.RoleServer, closeFrame(closePayload(frame.CloseNormal, ""))))
	s.Closed(nil)
	waitClosed(t, ran, "Run to return")
}

// TestEventOrder: OnOpen first, OnMessage in order, OnClose last, inline and
// on a pool.
func TestEventOrder(t *testing.T) {
	pool := session.NewPool(2)
	defer pool.Close()
	for _, tt := range []struct {
		name string
		cfg  session.Config
	}{
		{name: "inline", cfg: session.Config{Dispatch: session.DispatchInline}},
		{name: "pool", cfg: session.Config{Dispatch: session.DispatchPool, Pool: pool}},
		{name: "default pool", cfg: session.Config{Dispatch: session.DispatchPool}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, d, rec := newEventSession(t, tt.cfg, session.RoleServer)
			const n = 100
			var want []string
			var wire []byte
			for i := 0; i < n; i++ {
				p := fmt.Sprintf("msg-%03d", i)
				want = append(want, "b:"+p)
				if i%10 == 0 {
					wire = append(wire, encodeFrom(session.RoleServer, frag(frame.OpBinary, false, p[:3]), frag(frame.OpContinuation, true, p[3:]))...)
				} else {
					wire = append(wire, encodeFrom(session.RoleServer, msg(frame.OpBinary, p))...)
				}
			}
			wire = append(wire, encodeFrom(session.RoleServer, closeFrame(closePayload(frame.CloseNormal, "end")))...)
			if err := s.Feed(wire); err != nil {
				t.Fatal(err)
			}
			if d.closeCount() != 1 {
				t.Fatal("transport not closed after the handshake")
			}
			s.Closed(nil)
			waitClosed(t, rec.closed, "OnClose")
			kinds := rec.kinds()
			if kinds[0] != "open" || kinds[len(kinds)-1] != "close" || len(kinds) != n+2 {
				t.Fatalf("events %v", kinds)
			}
			if got := rec.messages(); !slices.Equal(got, want) {
				t.Fatalf("messages %q", got)
			}
			if r := rec.events()[n+1].rsn; r.Code != frame.CloseNormal || r.Message != "end" {
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
// leaves other sessions on the same Config (and pool worker) working.
func TestHandlerPanic(t *testing.T) {
	pool := session.NewPool(1) // one worker: it must survive the panic
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
			cfgA := session.Config{Dispatch: tt.dispatch, Pool: pool, Handler: panicky{recA}}
			cfgB := cfgA
			cfgB.Handler = panicky{recB}
			dA, dB := newMemDriver(), newMemDriver()
			a := session.New(&cfgA, session.RoleServer, dA, nil)
			b := session.New(&cfgB, session.RoleServer, dB, nil)
			a.Start()
			b.Start()
			if err := a.Feed(encodeFrom(session.RoleServer, msg(frame.OpText, "boom"))); err != nil {
				t.Fatalf("Feed: %v", err)
			}
			if err := b.Feed(encodeFrom(session.RoleServer, msg(frame.OpText, "fine"))); err != nil {
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
			_ = a.Feed(encodeFrom(session.RoleServer, closeFrame(closePayload(frame.CloseNormal, ""))))
			a.Closed(nil)
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
	cfg := session.Config{Handler: session.NopHandler{}, Dispatch: session.DispatchPool} // inline sessions never wait
	s := session.New(&cfg, session.RoleServer, d, nil)
	s.Start()
	stop := make(chan struct{})
	defer close(stop)
	d.pumpWritable(s, stop)
	out := s.Outgoing()
	const n = 40
	for i := 0; i < n; i++ {
		out <- session.Text(fmt.Sprintf("frame %02d %s", i, strings.Repeat("x", i*5)))
	}
	if err := s.Close(session.CloseReason{Code: frame.CloseNormal, Message: "bye"}); err != nil {
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
	if err := s.Send(context.Background(), session.Text("late")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Send after Close = %v", err)
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
	s, d, rec := newEventSession(t, session.Config{PingInterval: every, Timeout: time.Second}, session.RoleClient)
	if got := d.lastTimer(); got != every {
		t.Fatalf("Start armed %v, want the ping interval", got)
	}
	s.Timer()
	fs := d.frames(t)
	if len(fs) != 1 || fs[0].Op != frame.OpPing || !fs[0].Masked {
		t.Fatalf("Timer wrote %v, want a masked ping", fs)
	}
	if got := d.lastTimer(); got != time.Second {
		t.Fatalf("after the ping the timer is %v, want the Timeout", got)
	}
	if err := s.Feed(encodeFrom(session.RoleClient, wf{op: frame.OpPong, fin: true, payload: fs[0].Payload})); err != nil {
		t.Fatal(err)
	}
	if got := d.lastTimer(); got != every {
		t.Fatalf("after the pong the timer is %v, want the ping interval", got)
	}
	s.Timer() // next ping
	s.Timer() // no pong: give up
	fs = d.frames(t)
	if len(fs) != 3 || fs[1].Op != frame.OpPing || fs[2].Op != frame.OpClose {
		t.Fatalf("wrote %d frames, want ping, ping, close", len(fs))
	}
	if d.closeCount() != 1 {
		t.Fatal("transport not closed after a missing pong")
	}
	s.Closed(nil)
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
	s, d, _ := newEventSession(t, session.Config{}, session.RoleServer)
	if s.PingInterval() != 0 {
		t.Fatal("pings on by default")
	}
	s.Timer()
	if len(d.bytes()) != 0 {
		t.Fatal("ping sent with pings off")
	}
	s.SetPingInterval(time.Second)
	if d.lastTimer() != time.Second || s.PingInterval() != time.Second {
		t.Fatal("SetPingInterval did not arm the timer")
	}
	s.SetTimeout(3 * time.Second)
	if s.Timeout() != 3*time.Second {
		t.Fatalf("Timeout %v", s.Timeout())
	}
	s.SetMaxFrameSize(4)
	if s.MaxFrameSize() != 4 {
		t.Fatalf("MaxFrameSize %d", s.MaxFrameSize())
	}
	if err := s.Feed(encodeFrom(session.RoleServer, msg(frame.OpBinary, "12345"))); session.CloseStatus(err) != frame.CloseMessageTooBig {
		t.Fatalf("Feed over SetMaxFrameSize = %v, want 1009", err)
	}
}
