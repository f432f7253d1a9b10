package session_test

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

// TestConcurrentUse runs the feeding goroutine, senders, the timer and the
// accessors at once, as an engine and an application would, for the race
// detector; the session must end cleanly with every handler event in order.
func TestConcurrentUse(t *testing.T) {
	for _, dispatch := range []session.Dispatch{session.DispatchInline, session.DispatchPool} {
		t.Run(fmt.Sprint("dispatch", dispatch), func(t *testing.T) {
			rec := newRecorder()
			rec.onMessage = func(s *session.Session, f session.Frame) {
				_ = s.Send(context.Background(), f) // echo
			}
			d := newMemDriver()
			d.chunk = 100
			cfg := session.Config{Dispatch: dispatch, Backlog: 2048, PingInterval: time.Hour}
			s, ep := newSession(t, cfg, rec, seam.Server, d, nil)
			stop := make(chan struct{})
			defer close(stop)
			d.pumpWritable(ep, stop)

			var wg sync.WaitGroup
			wg.Add(3)
			go func() { // the engine's read loop
				defer wg.Done()
				for i := 0; i < 300; i++ {
					wire := encodeFrom(seam.Server, msg(frame.OpText, fmt.Sprintf("m%d", i)),
						wf{op: frame.OpPing, fin: true, payload: []byte("p")}, wf{op: frame.OpPong, fin: true})
					if err := ep.Feed(wire); err != nil {
						t.Errorf("Feed: %v", err)
						return
					}
				}
			}()
			go func() { // an application goroutine
				defer wg.Done()
				for i := 0; i < 300; i++ {
					if err := s.Send(context.Background(), session.CopyText("app")); err != nil {
						t.Errorf("Send: %v", err)
						return
					}
					if i%50 == 0 {
						s.SetValue(i)
						_ = s.Value()
						_ = s.Done()
						_ = s.CloseReason()
						_ = s.MaxFrameSize()
					}
				}
			}()
			go func() { // the timer wheel: one ping, answered below
				defer wg.Done()
				time.Sleep(time.Millisecond)
				ep.Timer()
			}()
			wg.Wait()
			_ = s.Close(session.CloseReason{Code: frame.CloseNormal})
			_ = ep.Feed(encodeFrom(seam.Server, wf{op: frame.OpPong, fin: true}, closeFrame(closePayload(frame.CloseNormal, ""))))
			waitClosed(t, d.transport, "CloseTransport")
			ep.Closed(io.EOF)
			waitClosed(t, rec.closed, "OnClose")
			k := rec.kinds()
			if k[0] != "open" || k[len(k)-1] != "close" {
				t.Fatalf("events start %v end %v", k[0], k[len(k)-1])
			}
		})
	}
}

// blockingHandler holds OnMessage until release is closed.
type blockingHandler struct {
	*recorder
	release chan struct{}
}

func (h blockingHandler) OnMessage(s *session.Session, f session.Frame) {
	<-h.release
	h.recorder.OnMessage(s, f)
}

// TestPoolQueueLimit: a busy pool handler makes the session stop reading
// once QueueLimit messages wait, and resume when they are handled, in order.
func TestPoolQueueLimit(t *testing.T) {
	pool := seam.NewPool(1)
	defer pool.Close()
	rec := newRecorder()
	h := blockingHandler{recorder: rec, release: make(chan struct{})}
	d := newMemDriver()
	cfg := session.Config{Dispatch: session.DispatchPool, QueueLimit: 4}
	_, ep := startSession(newRoute(&cfg, h, nil, nil, pool), seam.Server, d, nil)
	const n = 10
	for i := 0; i < n; i++ {
		if err := ep.Feed(encodeFrom(seam.Server, msg(frame.OpBinary, fmt.Sprint(i)))); err != nil {
			t.Fatal(err)
		}
	}
	if p := d.pauseLog(); len(p) == 0 || !p[0] {
		t.Fatalf("PauseRead %v, want a pause with %d messages waiting", p, n)
	}
	close(h.release)
	deadline := time.Now().Add(5 * time.Second)
	for len(rec.messages()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("handled %d of %d", len(rec.messages()), n)
		}
		time.Sleep(time.Millisecond)
	}
	p := d.pauseLog()
	if len(p) < 2 || p[len(p)-1] {
		t.Fatalf("PauseRead %v, want a resume", p)
	}
	for i, m := range rec.messages() {
		if m != fmt.Sprint("b:", i) {
			t.Fatalf("message %d is %q", i, m)
		}
	}
}
