package session_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/counters"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

// TestRTT: the pong of a ping surge sent gives the session's round-trip
// time; a pong that answers no ping of ours changes nothing.
func TestRTT(t *testing.T) {
	s, ep, d, _ := newEventSession(t, session.Config{PingInterval: time.Minute}, seam.Server)
	if s.RTT() != 0 {
		t.Fatalf("RTT before any ping = %v", s.RTT())
	}
	if err := ep.Feed(encodeFrom(seam.Server, wf{op: frame.OpPong, fin: true, payload: []byte("unsolicited")})); err != nil {
		t.Fatal(err)
	}
	if s.RTT() != 0 {
		t.Fatalf("an unsolicited pong set RTT to %v", s.RTT())
	}
	ep.Timer() // ping
	fs := d.frames(t)
	if len(fs) != 1 || fs[0].Op != frame.OpPing || len(fs[0].Payload) != 8 {
		t.Fatalf("wrote %v, want a ping with an 8-byte stamp", fs)
	}
	time.Sleep(2 * time.Millisecond) // a round trip that is not 0
	if err := ep.Feed(encodeFrom(seam.Server, wf{op: frame.OpPong, fin: true, payload: fs[0].Payload})); err != nil {
		t.Fatal(err)
	}
	if rtt := s.RTT(); rtt < 2*time.Millisecond || rtt > time.Minute {
		t.Fatalf("RTT = %v after a 2 ms round trip", rtt)
	}
}

// TestCountersSession: a session adds its messages, frames, control frames
// and end to its driver's counters.
func TestCountersSession(t *testing.T) {
	d := newMemDriver()
	d.ctr = new(counters.Set)
	rec := newRecorder()
	s, ep := newSession(t, session.Config{Fragments: true}, rec, seam.Server, d, nil)
	if err := ep.Feed(encodeFrom(seam.Server,
		msg(frame.OpText, "abc"),
		frag(frame.OpBinary, false, "12"),
		wf{op: frame.OpPing, fin: true, payload: []byte("p")},
		frag(frame.OpContinuation, true, "345"),
	)); err != nil {
		t.Fatal(err)
	}
	_ = s.Send(context.Background(), session.Frame{Op: frame.OpBinary, Payload: []byte("xy")})
	_ = s.Send(context.Background(), session.Frame{Fin: true, Op: frame.OpContinuation, Payload: []byte("z")})
	_ = s.SendText(context.Background(), "hello")
	ep.Closed(nil)
	c := d.ctr
	for _, tc := range []struct {
		name      string
		got, want uint64
	}{
		{"frames in", c.FramesIn.Load(), 4},
		{"text messages in", c.MsgsIn[counters.Text].Load(), 1},
		{"binary messages in", c.MsgsIn[counters.Binary].Load(), 1},
		{"binary bytes in", c.BytesIn[counters.Binary].Load(), 5},
		{"pings in", c.PingsIn.Load(), 1},
		{"pongs out", c.PongsOut.Load(), 1},
		{"frames out", c.FramesOut.Load(), 4},
		{"binary messages out", c.MsgsOut[counters.Binary].Load(), 1},
		{"binary bytes out", c.BytesOut[counters.Binary].Load(), 3},
		{"text bytes out", c.BytesOut[counters.Text].Load(), 5},
		{"ended peer gone", c.Ended[counters.EndPeerGone].Load(), 1},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %d, want %d", tc.name, tc.got, tc.want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a logger used from several
// goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

type panicker struct{ session.NopHandler }

func (panicker) OnMessage(*session.Session, session.Frame) { panicInHandler() }

func panicInHandler() { panic("boom") }

// TestLogger: a handler panic is logged with its stack and an unexpected
// transport error with its cause; vanishing peers and normal closes are
// not logged.
func TestLogger(t *testing.T) {
	t.Run("panic", func(t *testing.T) {
		var buf syncBuffer
		cfg := session.Config{Logger: slog.New(slog.NewTextHandler(&buf, nil))}
		_, ep := newSession(t, cfg, panicker{}, seam.Server, newMemDriver(), nil)
		_ = ep.Feed(encodeFrom(seam.Server, msg(frame.OpText, "x")))
		if out := buf.String(); !strings.Contains(out, "handler panicked") || !strings.Contains(out, "panic=boom") ||
			!strings.Contains(out, "panicInHandler") {
			t.Fatalf("log: %s", out)
		}
	})
	for _, tc := range []struct {
		name   string
		err    error
		logged bool
	}{
		{"eio", &os.SyscallError{Syscall: "read", Err: syscall.EIO}, true},
		{"reset", &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}, false},
		{"eof", io.EOF, false},
		{"orderly", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf syncBuffer
			cfg := session.Config{Logger: slog.New(slog.NewTextHandler(&buf, nil))}
			_, ep := newSession(t, cfg, session.NopHandler{}, seam.Server, newMemDriver(), nil)
			ep.Closed(tc.err)
			if got := strings.Contains(buf.String(), "connection failed"); got != tc.logged {
				t.Fatalf("logged %v, want %v: %q", got, tc.logged, buf.String())
			}
		})
	}
}

// endOrderDriver watches, from the driver call that follows the closing of
// Done (SetTimer(0), which stops the session's timer), whether the end was
// already counted.
type endOrderDriver struct {
	*memDriver
	done          <-chan struct{}
	sawDone       bool
	countedAtDone bool
}

func (d *endOrderDriver) SetTimer(t time.Duration) {
	if d.done != nil && t == 0 {
		select {
		case <-d.done:
			d.sawDone = true
			var n uint64
			for i := range d.ctr.Ended {
				n += d.ctr.Ended[i].Load()
			}
			d.countedAtDone = n > 0
		default:
		}
	}
	d.memDriver.SetTimer(t)
}

// TestEndCountedBeforeDone: whoever waited on Done finds the session's end
// in the counters (a dialer's statistics read after <-Done once missed it).
func TestEndCountedBeforeDone(t *testing.T) {
	d := &endOrderDriver{memDriver: newMemDriver()}
	d.ctr = new(counters.Set)
	s, ep := newSession(t, session.Config{}, newRecorder(), seam.Server, d, nil)
	d.done = s.Done()
	ep.Closed(nil)
	<-s.Done()
	if !d.sawDone {
		t.Fatal("the driver saw no SetTimer(0) after Done closed; the test must watch another call")
	}
	if !d.countedAtDone {
		t.Fatal("Done closed before the end was counted")
	}
}
