package session_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// TestSendWireFormat: what Send writes decodes to the frame given, unmasked
// from a server, masked from a client, and the caller's bytes are untouched.
func TestSendWireFormat(t *testing.T) {
	p125 := bytes.Repeat([]byte{'p'}, 125)
	p300 := bytes.Repeat([]byte{0xAB}, 300)
	p70k := bytes.Repeat([]byte{0x5A}, 70000)
	tests := []struct {
		name string
		f    func() session.Frame
		op   frame.Opcode
		fin  bool
		rsv  byte
		want []byte
	}{
		{name: "text", f: func() session.Frame { return session.Text("héllo") }, op: frame.OpText, fin: true, want: []byte("héllo")},
		{name: "text bytes", f: func() session.Frame { return session.TextBytes([]byte("borrowed")) }, op: frame.OpText, fin: true, want: []byte("borrowed")},
		{name: "empty binary", f: func() session.Frame { return session.Binary(nil) }, op: frame.OpBinary, fin: true, want: nil},
		{name: "binary 16-bit length", f: func() session.Frame { return session.Binary(p300) }, op: frame.OpBinary, fin: true, want: p300},
		{name: "binary 64-bit length", f: func() session.Frame { return session.Binary(p70k) }, op: frame.OpBinary, fin: true, want: p70k},
		{name: "ping 125", f: func() session.Frame { return session.Ping(p125) }, op: frame.OpPing, fin: true, want: p125},
		{name: "pong", f: func() session.Frame { return session.Pong([]byte("p")) }, op: frame.OpPong, fin: true, want: []byte("p")},
		{name: "fragment", f: func() session.Frame {
			return session.Frame{Op: frame.OpBinary, Payload: []byte("first")}
		}, op: frame.OpBinary, fin: false, want: []byte("first")},
		{name: "rsv bits passed through", f: func() session.Frame {
			return session.Frame{Fin: true, Rsv2: true, Op: frame.OpBinary, Payload: []byte("r")}
		}, op: frame.OpBinary, fin: true, rsv: frame.Rsv2, want: []byte("r")},
	}
	for _, role := range []session.Role{session.RoleServer, session.RoleClient} {
		for _, tt := range tests {
			t.Run(roleName(role)+"/"+tt.name, func(t *testing.T) {
				s, d, _ := newEventSession(t, session.Config{}, role)
				f := tt.f()
				orig := bytes.Clone(f.Payload)
				payload := f.Payload
				if err := s.Send(context.Background(), f); err != nil {
					t.Fatalf("Send: %v", err)
				}
				// Text's payload is pooled and back in the pool; the others
				// borrow the caller's slice, which must be intact.
				if tt.name != "text" && !bytes.Equal(payload, orig) {
					t.Fatal("Send modified the caller's payload")
				}
				fs := d.frames(t)
				if len(fs) != 1 {
					t.Fatalf("wrote %d frames", len(fs))
				}
				g := fs[0]
				if g.Op != tt.op || g.Fin != tt.fin || g.Rsv != tt.rsv || !bytes.Equal(g.Payload, tt.want) {
					t.Fatalf("wrote %v fin=%v rsv=%#x len=%d, want %v fin=%v rsv=%#x len=%d",
						g.Op, g.Fin, g.Rsv, len(g.Payload), tt.op, tt.fin, tt.rsv, len(tt.want))
				}
				if g.Masked != (role == session.RoleClient) {
					t.Fatalf("masked=%v for role %v", g.Masked, role)
				}
				hlen := len(d.bytes()) - len(tt.want)
				if hlen != g.Header.Size() {
					t.Fatalf("header of %d bytes, want the minimal %d", hlen, g.Header.Size())
				}
			})
		}
	}
}

// TestClientMasks: a client masks every frame with a fresh key (RFC 6455
// §5.3), and the masked bytes on the wire differ from the payload.
func TestClientMasks(t *testing.T) {
	s, d, _ := newEventSession(t, session.Config{}, session.RoleClient)
	payload := []byte("a payload long enough to see the mask at work")
	for i := 0; i < 16; i++ {
		if err := s.Send(context.Background(), session.Binary(payload)); err != nil {
			t.Fatal(err)
		}
	}
	wire := d.bytes()
	if bytes.Contains(wire, payload) {
		t.Fatal("payload found in clear on the wire")
	}
	keys := map[[4]byte]bool{}
	for _, f := range parseWire(t, wire) {
		if !f.Masked || !bytes.Equal(f.Payload, payload) {
			t.Fatalf("frame masked=%v payload %q", f.Masked, f.Payload)
		}
		keys[f.Key] = true
	}
	if len(keys) < 2 {
		t.Fatal("the same masking key for 16 frames")
	}
	if !s.Masking() {
		t.Fatal("client Masking() = false")
	}
}

// TestServerMaskingOption: a server masks when Config.Masking or SetMasking
// asks it to.
func TestServerMaskingOption(t *testing.T) {
	s, d, _ := newEventSession(t, session.Config{Masking: true}, session.RoleServer)
	_ = s.Send(context.Background(), session.Binary([]byte("m")))
	s.SetMasking(false)
	_ = s.Send(context.Background(), session.Binary([]byte("u")))
	fs := d.frames(t)
	if len(fs) != 2 || !fs[0].Masked || fs[1].Masked {
		t.Fatalf("frames %+v: want masked then unmasked", fs)
	}
}

// TestSendRejects: frames that cannot be sent are refused without writing.
func TestSendRejects(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    session.Frame
		want error
	}{
		{name: "ping over 125", f: session.Ping(make([]byte, 126)), want: session.ErrControlTooLong},
		{name: "pong over 125", f: session.Pong(make([]byte, 126)), want: session.ErrControlTooLong},
		{name: "reserved opcode", f: session.Frame{Fin: true, Op: 3}, want: session.ErrBadOpcode},
		{name: "reserved control opcode", f: session.Frame{Fin: true, Op: 0xB}, want: session.ErrBadOpcode},
		{name: "released frame", f: released(session.Text("gone")), want: session.ErrFrameReleased},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, d, _ := newEventSession(t, session.Config{}, session.RoleServer)
			if err := s.Send(context.Background(), tt.f); !errors.Is(err, tt.want) {
				t.Fatalf("Send = %v, want %v", err, tt.want)
			}
			if len(d.bytes()) != 0 {
				t.Fatal("a refused frame was written")
			}
		})
	}
}

// released returns a copy of f after releasing f, as a frame kept after a
// Send would be.
func released(f session.Frame) session.Frame {
	c := f
	f.Release()
	return c
}

// TestSendTwice: a pooled frame sent twice goes out once; the second Send
// reports ErrFrameReleased instead of sending a recycled buffer.
func TestSendTwice(t *testing.T) {
	s, d, _ := newEventSession(t, session.Config{}, session.RoleServer)
	f := session.Text("once")
	if err := s.Send(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	// Another frame reuses the buffer the first Send gave back.
	_ = session.Text("someone else's")
	if err := s.Send(context.Background(), f); !errors.Is(err, session.ErrFrameReleased) {
		t.Fatalf("second Send = %v, want ErrFrameReleased", err)
	}
	if fs := d.frames(t); len(fs) != 1 || string(fs[0].Payload) != "once" {
		t.Fatalf("wrote %d frames (%v), want one \"once\"", len(fs), fs)
	}
}

// TestSendCloseFrame: sending a close frame is Close.
func TestSendCloseFrame(t *testing.T) {
	s, d, _ := newEventSession(t, session.Config{}, session.RoleServer)
	if err := s.Send(context.Background(), session.Close(session.CloseReason{Code: 4001, Message: "app"})); err != nil {
		t.Fatal(err)
	}
	fs := d.frames(t)
	if len(fs) != 1 {
		t.Fatalf("wrote %d frames", len(fs))
	}
	wantClose(t, fs[0], 4001, "app")
}

// TestShortWrites: a driver taking a few bytes per write gets the rest on
// Writable, in order, without loss.
func TestShortWrites(t *testing.T) {
	s, d, _ := newEventSession(t, session.Config{}, session.RoleServer)
	d.chunk = 7
	var want []string
	for i := 0; i < 20; i++ {
		p := bytes.Repeat([]byte{byte('a' + i)}, 10+i*13)
		want = append(want, string(p))
		if err := s.Send(context.Background(), session.Binary(p)); err != nil {
			t.Fatal(err)
		}
	}
	if d.wantWrites() == 0 {
		t.Fatal("short write without WantWrite")
	}
	for i := 0; d.wantWrites() > i; i++ {
		if i > 10000 {
			t.Fatal("backlog never drained")
		}
		s.Writable()
	}
	fs := d.frames(t)
	if len(fs) != len(want) {
		t.Fatalf("wrote %d frames, want %d", len(fs), len(want))
	}
	for i, f := range fs {
		if string(f.Payload) != want[i] {
			t.Fatalf("frame %d: %q, want %q", i, f.Payload, want[i])
		}
	}
}

// TestWriteError: a failed write ends the session with that error.
func TestWriteError(t *testing.T) {
	s, d, rec := newEventSession(t, session.Config{}, session.RoleServer)
	boom := errors.New("broken pipe")
	d.writeErr = boom
	if err := s.Send(context.Background(), session.Binary([]byte("x"))); !errors.Is(err, boom) {
		t.Fatalf("Send = %v, want the write error", err)
	}
	if d.closeCount() != 1 {
		t.Fatal("transport not closed after a write error")
	}
	s.Closed(boom)
	waitClosed(t, rec.closed, "OnClose")
	if !errors.Is(s.Err(), boom) {
		t.Fatalf("Err = %v, want the write error", s.Err())
	}
	if got := rec.kinds(); len(got) != 3 || got[1] != "error" {
		t.Fatalf("events %v", got)
	}
}

// fillBacklog makes the driver refuse bytes and sends one frame of n bytes, so
// the backlog is over a limit below n.
func fillBacklog(t *testing.T, s *session.Session, d *memDriver, n int) {
	t.Helper()
	d.setBlocked(true)
	if err := s.Send(context.Background(), session.Binary(make([]byte, n))); err != nil {
		t.Fatalf("first Send: %v", err)
	}
	if d.wantWrites() == 0 {
		t.Fatal("EAGAIN without WantWrite")
	}
}

// TestBackpressureWait: Send blocks while the backlog is over its limit and
// returns once Writable drains it; a cancelled context stops the wait.
func TestBackpressureWait(t *testing.T) {
	s, d, _ := newEventSession(t, session.Config{Backlog: 1024, Dispatch: session.DispatchPool}, session.RoleServer)
	fillBacklog(t, s, d, 2000)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := s.Send(ctx, session.Binary([]byte("x"))); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send with an expiring context = %v, want DeadlineExceeded", err)
	}

	sent := make(chan error, 1)
	go func() { sent <- s.Send(context.Background(), session.Text("second")) }()
	select {
	case err := <-sent:
		t.Fatalf("Send returned %v while the backlog was full", err)
	case <-time.After(30 * time.Millisecond):
	}
	// A ping and a pong pass the limit.
	if err := s.Send(context.Background(), session.Ping([]byte("pi"))); err != nil {
		t.Fatalf("ping over a full backlog: %v", err)
	}
	if err := s.Feed(encodeFrom(session.RoleServer, wf{op: frame.OpPing, fin: true, payload: []byte("po")})); err != nil {
		t.Fatal(err)
	}
	d.setBlocked(false)
	s.Writable()
	select {
	case err := <-sent:
		if err != nil {
			t.Fatalf("blocked Send: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Send still blocked after the backlog drained")
	}
	var got []string
	for _, f := range d.frames(t) {
		got = append(got, f.Op.String()+":"+string(f.Payload[:min(len(f.Payload), 6)]))
	}
	want := []string{"binary:\x00\x00\x00\x00\x00\x00", "ping:pi", "pong:po", "text:second"}
	if len(got) != len(want) {
		t.Fatalf("wrote %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("wrote %q, want %q", got, want)
		}
	}
}

// TestBackpressureWaitClosed: a Send waiting on the backlog returns
// net.ErrClosed when the session ends.
func TestBackpressureWaitClosed(t *testing.T) {
	s, d, _ := newEventSession(t, session.Config{Backlog: 10, Dispatch: session.DispatchPool}, session.RoleServer)
	fillBacklog(t, s, d, 100)
	sent := make(chan error, 1)
	go func() { sent <- s.Send(context.Background(), session.Binary([]byte("x"))) }()
	time.Sleep(10 * time.Millisecond)
	s.Terminate()
	s.Closed(nil)
	select {
	case err := <-sent:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Send = %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Send still blocked after the session ended")
	}
}

// TestBackpressureDrop: over the limit a data frame is dropped with
// ErrBacklogFull; control frames and the close still go out.
func TestBackpressureDrop(t *testing.T) {
	s, d, _ := newEventSession(t, session.Config{Backlog: 1024, Backpressure: session.BackpressureDrop}, session.RoleServer)
	fillBacklog(t, s, d, 2000)
	if err := s.Send(context.Background(), session.Text("dropped")); !errors.Is(err, session.ErrBacklogFull) {
		t.Fatalf("Send = %v, want ErrBacklogFull", err)
	}
	if err := s.Send(context.Background(), session.Pong([]byte("pong"))); err != nil {
		t.Fatalf("pong over the limit: %v", err)
	}
	if err := s.Close(session.CloseReason{Code: frame.CloseNormal}); err != nil {
		t.Fatalf("Close over the limit: %v", err)
	}
	d.setBlocked(false)
	s.Writable()
	fs := d.frames(t)
	if len(fs) != 3 || fs[0].Op != frame.OpBinary || fs[1].Op != frame.OpPong || fs[2].Op != frame.OpClose {
		t.Fatalf("wrote %d frames %v, want binary, pong, close", len(fs), fs)
	}
}

// TestBackpressureClose: over the limit the session closes with 1008, after
// the backlog.
func TestBackpressureClose(t *testing.T) {
	s, d, _ := newEventSession(t, session.Config{Backlog: 1024, Backpressure: session.BackpressureClose}, session.RoleServer)
	fillBacklog(t, s, d, 2000)
	if err := s.Send(context.Background(), session.Text("too much")); !errors.Is(err, session.ErrBacklogFull) {
		t.Fatalf("Send = %v, want ErrBacklogFull", err)
	}
	if r := s.CloseReason(); r.Code != frame.ClosePolicyViolation {
		t.Fatalf("CloseReason %v, want 1008", r)
	}
	d.setBlocked(false)
	s.Writable()
	fs := d.frames(t)
	if len(fs) != 2 || fs[0].Op != frame.OpBinary {
		t.Fatalf("wrote %v, want the backlog then a close", fs)
	}
	wantClose(t, fs[1], frame.ClosePolicyViolation, "outgoing backlog full")
}

// TestInlineHandlerOverBacklog: an inline handler cannot wait for the
// backlog; its frame is queued past the limit and reading pauses until the
// backlog drains.
func TestInlineHandlerOverBacklog(t *testing.T) {
	rec := newRecorder()
	rec.onMessage = func(s *session.Session, f session.Frame) {
		if err := s.Send(context.Background(), f); err != nil {
			t.Errorf("echo: %v", err)
		}
	}
	d := newMemDriver()
	cfg := session.Config{Backlog: 64, Handler: rec}
	s := session.New(&cfg, session.RoleServer, d, nil)
	s.Start()
	d.setBlocked(true)
	big := bytes.Repeat([]byte("x"), 100)
	if err := s.Feed(encodeFrom(session.RoleServer, wf{op: frame.OpBinary, fin: true, payload: big}, msg(frame.OpText, "two"))); err != nil {
		t.Fatal(err)
	}
	if p := d.pauseLog(); len(p) != 1 || !p[0] {
		t.Fatalf("PauseRead calls %v, want [true]", p)
	}
	d.setBlocked(false)
	s.Writable()
	if p := d.pauseLog(); len(p) != 2 || p[1] {
		t.Fatalf("PauseRead calls %v, want [true false]", p)
	}
	fs := d.frames(t)
	if len(fs) != 2 || !bytes.Equal(fs[0].Payload, big) || string(fs[1].Payload) != "two" {
		t.Fatalf("echoed %d frames", len(fs))
	}
}

// TestFlush: Flush returns at once with nothing pending, waits for the
// backlog otherwise, honours its context, and reports net.ErrClosed when the
// session ends with bytes unwritten.
func TestFlush(t *testing.T) {
	ctx := context.Background()
	t.Run("empty", func(t *testing.T) {
		s, _, _ := newEventSession(t, session.Config{}, session.RoleServer)
		_ = s.Send(ctx, session.Binary([]byte("written at once")))
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("waits for Writable", func(t *testing.T) {
		s, d, _ := newEventSession(t, session.Config{}, session.RoleServer)
		d.chunk = 3
		_ = s.Send(ctx, session.Binary([]byte("0123456789")))
		tctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
		defer cancel()
		if err := s.Flush(tctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Flush with a pending backlog = %v, want DeadlineExceeded", err)
		}
		flushed := make(chan error, 1)
		go func() { flushed <- s.Flush(ctx) }()
		time.Sleep(5 * time.Millisecond)
		// Frames sent after Flush began do not hold it back.
		d.setBlocked(true)
		s.Writable()
		select {
		case err := <-flushed:
			t.Fatalf("Flush returned %v with bytes pending", err)
		default:
		}
		d.setBlocked(false)
		d.chunk = 0
		s.Writable()
		select {
		case err := <-flushed:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Flush did not return after the backlog drained")
		}
		if fs := d.frames(t); len(fs) != 1 || string(fs[0].Payload) != "0123456789" {
			t.Fatalf("wrote %v", fs)
		}
	})
	t.Run("session ends", func(t *testing.T) {
		s, d, _ := newEventSession(t, session.Config{}, session.RoleServer)
		d.setBlocked(true)
		_ = s.Send(ctx, session.Binary([]byte("never written")))
		flushed := make(chan error, 1)
		go func() { flushed <- s.Flush(ctx) }()
		time.Sleep(5 * time.Millisecond)
		s.Terminate()
		s.Closed(nil)
		select {
		case err := <-flushed:
			if !errors.Is(err, net.ErrClosed) {
				t.Fatalf("Flush = %v, want net.ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Flush did not return when the session ended")
		}
	})
}

// TestConcurrentSenders: N goroutines each send M frames while an event
// loop drains a small backlog with short writes; every frame arrives intact
// and each goroutine's frames arrive in order.
func TestConcurrentSenders(t *testing.T) {
	const n, m = 8, 200
	for _, role := range []session.Role{session.RoleServer, session.RoleClient} {
		t.Run(roleName(role), func(t *testing.T) {
			d := newMemDriver()
			d.chunk = 1500
			cfg := session.Config{Backlog: 4096, Handler: session.NopHandler{}, Dispatch: session.DispatchPool}
			s := session.New(&cfg, role, d, nil)
			s.Start()
			stop := make(chan struct{})
			defer close(stop)
			d.pumpWritable(s, stop)

			var wg sync.WaitGroup
			for g := 0; g < n; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < m; i++ {
						// Sizes cross the 7-bit and 16-bit length forms.
						size := 8 + (i*37+g*11)%700
						if i%50 == 0 {
							size = 70000
						}
						p := make([]byte, size)
						binary.BigEndian.PutUint32(p[0:], uint32(g))
						binary.BigEndian.PutUint32(p[4:], uint32(i))
						for k := 8; k < size; k++ {
							p[k] = byte(g + i + k)
						}
						f := session.Binary(p)
						if i%3 == 0 {
							f = f.Clone()
						}
						if err := s.Send(context.Background(), f); err != nil {
							t.Errorf("goroutine %d frame %d: %v", g, i, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := s.Flush(ctx); err != nil {
				t.Fatalf("Flush: %v", err)
			}
			next := make([]int, n)
			fs := d.frames(t)
			if len(fs) != n*m {
				t.Fatalf("wrote %d frames, want %d", len(fs), n*m)
			}
			for _, f := range fs {
				if f.Op != frame.OpBinary || !f.Fin || f.Masked != (role == session.RoleClient) {
					t.Fatalf("frame %v fin=%v masked=%v", f.Op, f.Fin, f.Masked)
				}
				g := int(binary.BigEndian.Uint32(f.Payload[0:]))
				i := int(binary.BigEndian.Uint32(f.Payload[4:]))
				if g >= n || i != next[g] {
					t.Fatalf("goroutine %d: frame %d arrived, want %d", g, i, next[g])
				}
				next[g]++
				for k := 8; k < len(f.Payload); k++ {
					if f.Payload[k] != byte(g+i+k) {
						t.Fatalf("goroutine %d frame %d: byte %d corrupted", g, i, k)
					}
				}
			}
		})
	}
}

// TestPingFloodBacklog: while a pong waits in the backlog, further pings add
// nothing to it, so a peer that pings without reading cannot grow our memory.
func TestPingFloodBacklog(t *testing.T) {
	s, d, _ := newEventSession(t, session.Config{}, session.RoleServer)
	d.setBlocked(true)
	var wire []byte
	for i := 0; i < 1000; i++ {
		wire = append(wire, encodeFrom(session.RoleServer, wf{op: frame.OpPing, fin: true, payload: bytes.Repeat([]byte{'p'}, 125)})...)
	}
	if err := s.Feed(wire); err != nil {
		t.Fatal(err)
	}
	// Pongs of one read are batched; once the peer stops taking them,
	// no further pong is queued: the backlog stays near one batch.
	if b := s.Backlog(); b > 64<<10+2*(2+125) {
		t.Fatalf("backlog %d bytes after a ping flood, want at most one batch", b)
	}
	d.setBlocked(false)
	s.Writable()
	// Once the pong is out, the next ping is answered again.
	if err := s.Feed(encodeFrom(session.RoleServer, wf{op: frame.OpPing, fin: true, payload: []byte("again")})); err != nil {
		t.Fatal(err)
	}
	fs := d.frames(t)
	if len(fs) < 2 || fs[0].Op != frame.OpPong || string(fs[len(fs)-1].Payload) != "again" {
		t.Fatalf("wrote %d frames, want the batched pongs then the answer to the new ping", len(fs))
	}
}

// TestCloseTimeoutConfig: the closing handshake waits CloseTimeout, pings
// wait Timeout.
func TestCloseTimeoutConfig(t *testing.T) {
	s, d, _ := newEventSession(t, session.Config{PingInterval: time.Minute, Timeout: time.Second, CloseTimeout: 3 * time.Second}, session.RoleServer)
	s.Timer()
	if got := d.lastTimer(); got != time.Second {
		t.Fatalf("pong timer %v, want Timeout", got)
	}
	_ = s.Close(session.CloseReason{Code: frame.CloseNormal})
	if got := d.lastTimer(); got != 3*time.Second {
		t.Fatalf("close timer %v, want CloseTimeout", got)
	}
}
