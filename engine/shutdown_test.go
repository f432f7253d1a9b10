package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// countingEcho echoes and counts, per client id (the query string), the
// echoes the server handed to Send successfully.
type countingEcho struct {
	session.NopHandler
	mu     sync.Mutex
	echoed map[string]int
}

func (h *countingEcho) OnMessage(s *session.Session, f session.Frame) {
	if err := s.Send(context.Background(), f); err != nil {
		return // sent after our close frame: the peer will not get it
	}
	h.mu.Lock()
	h.echoed[s.Request().RawQuery]++
	h.mu.Unlock()
}

// countingServer builds an echo server for a dispatch mode that counts, per
// client id, the echoes it sent (see modeServer).
func countingServer(mode string, cfg engine.Config) (*engine.Server, *countingEcho) {
	h := &countingEcho{echoed: map[string]int{}}
	return modeServer(mode, cfg, h), h
}

// chatWindow bounds the messages a chatter has sent but not had echoed:
// enough to keep the server busy with messages in flight both ways, and a
// bound on what Shutdown must flush however slow the machine is.
const chatWindow = 64

// chatter is a surge client that sends continuously, at most chatWindow
// messages ahead of their echoes, and counts echoes until its session ends.
type chatter struct {
	s       *session.Session
	got     atomic.Int64
	inSeq   bool          // echoes arrived in the order sent
	credits chan struct{} // one per message in flight
	doneCh  chan struct{}
}

func startChatter(t *testing.T, ctx context.Context, url string, d *engine.Dialer) *chatter {
	t.Helper()
	s, err := engine.Dial(ctx, url, &engine.DialOptions{Dialer: d})
	if err != nil {
		t.Fatal(err)
	}
	c := &chatter{s: s, inSeq: true, credits: make(chan struct{}, chatWindow), doneCh: make(chan struct{})}
	go func() {
		for i := 0; ; i++ {
			select {
			case c.credits <- struct{}{}:
			case <-s.Done():
				return
			}
			if err := s.Send(context.Background(), session.CopyText(fmt.Sprint(i))); err != nil {
				return
			}
		}
	}()
	go func() {
		defer close(c.doneCh)
		for f := range s.Incoming() {
			if f.Text() != fmt.Sprint(c.got.Load()) {
				c.inSeq = false
			}
			c.got.Add(1)
			f.Release()
			select {
			case <-c.credits:
			default: // an echo of a message never sent: inSeq says so
			}
		}
	}()
	return c
}

func TestGracefulShutdown(t *testing.T) {
	for _, mode := range []string{"inline", "pool", "channel"} {
		t.Run(mode, func(t *testing.T) {
			const clients = 8
			srv, h := countingServer(mode, engine.Config{
				Reactor: engine.ReactorConfig{Loops: 2},
				Session: session.Config{Timeout: 5 * time.Second},
			})
			addr := startServer(t, srv)
			d, err := engine.NewDialer(engine.ReactorConfig{Loops: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cs := make([]*chatter, clients)
			for i := range cs {
				cs[i] = startChatter(t, ctx, fmt.Sprintf("ws://%s/chat?c%d", addr, i), d)
			}
			// Mid-conversation: every client has had echoes and has
			// more in flight.
			waitFor(t, ioTimeout, "traffic", func() bool {
				for _, c := range cs {
					if c.got.Load() < 20 {
						return false
					}
				}
				return true
			})
			if err := srv.Shutdown(ctx); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			if n := srv.Stats().Conns; n != 0 {
				t.Fatalf("Conns() = %d after Shutdown", n)
			}
			for i, c := range cs {
				select {
				case <-c.doneCh:
				case <-ctx.Done():
					t.Fatalf("client %d: Incoming not closed", i)
				}
				// Shutdown waits for the closing handshakes, not for the
				// handlers: one whose echo the client has can still be on
				// its way from Send to the count. Wait for it to settle.
				got, echoed := int(c.got.Load()), 0
				eventually(ioTimeout, func() bool {
					h.mu.Lock()
					defer h.mu.Unlock()
					echoed = h.echoed[fmt.Sprintf("c%d", i)]
					return echoed >= got
				})
				if got != echoed || !c.inSeq {
					t.Errorf("client %d: server echoed %d messages, client got %d (in order: %v)", i, echoed, got, c.inSeq)
				}
				if r := c.s.CloseReason(); r.Code != frame.CloseGoingAway {
					t.Errorf("client %d: close reason %v (err %v), want 1001", i, r, c.s.Err())
				}
			}
		})
	}
}

func TestShutdownDeadline(t *testing.T) {
	// A peer that never answers the close keeps Shutdown waiting until ctx
	// ends; then everything is dropped.
	srv, _, addr := newEchoServer(t, engine.Config{Session: session.Config{CloseTimeout: time.Minute}})
	c := upgradeRaw(t, addr, "/echo")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := srv.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("Shutdown took %v", took)
	}
	if code, _ := c.expectClose(); code != frame.CloseGoingAway {
		t.Fatalf("close code %d, want 1001", code)
	}
	c.expectEOF(ioTimeout)
	if n := srv.Stats().Conns; n != 0 {
		t.Fatalf("Conns() = %d after Shutdown", n)
	}
}

func TestClose(t *testing.T) {
	const clients = 6
	srv, rec, addr := newEchoServer(t, engine.Config{})
	served := make(chan error, 1)
	go func() { served <- srv.ListenAndServe("127.0.0.1:0") }() // a second start must fail
	if err := <-served; err == nil || errors.Is(err, engine.ErrServerClosed) || !strings.Contains(err.Error(), "already started") {
		t.Fatalf("second ListenAndServe = %v, want an \"already started\" error", err)
	}
	d, err := engine.NewDialer(engine.ReactorConfig{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var cl []*session.Session
	for i := 0; i < clients; i++ {
		s, err := engine.Dial(ctx, "ws://"+addr+"/echo", &engine.DialOptions{Dialer: d})
		if err != nil {
			t.Fatal(err)
		}
		cl = append(cl, s)
	}
	waitFor(t, ioTimeout, "sessions open", func() bool { return rec.count() == clients })
	start := time.Now()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	for i, s := range cl {
		select {
		case <-s.Done():
		case <-ctx.Done():
			t.Fatalf("client %d still open after Close", i)
		}
		if r := s.CloseReason(); r.Code != frame.CloseAbnormal {
			t.Errorf("client %d: close reason %v, want 1006 (no close frame)", i, r)
		}
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("Close took %v, want at once", took)
	}
	for i := 0; i < clients; i++ {
		r, errs := rec.waitClosed(t)
		if r.Code != frame.CloseAbnormal {
			t.Errorf("server session: close reason %v, want 1006", r)
		}
		if len(errs) == 0 || !errors.Is(errs[len(errs)-1], engine.ErrServerClosed) {
			t.Errorf("server session errors %v, want ErrServerClosed", errs)
		}
	}
	if n := srv.Stats().Conns; n != 0 {
		t.Fatalf("Conns() = %d after Close", n)
	}
	if _, err := engine.Dial(ctx, "ws://"+addr+"/echo", &engine.DialOptions{Dialer: d}); err == nil {
		t.Fatal("Dial succeeded after Close")
	}
	if err := srv.Start("127.0.0.1:0"); err == nil {
		t.Fatal("Start succeeded after Close")
	}
}

// panicky panics on the message "boom" and echoes the others.
type panicky struct{ session.NopHandler }

func (panicky) OnMessage(s *session.Session, f session.Frame) {
	if f.Text() == "boom" {
		panic("boom")
	}
	_ = s.Send(context.Background(), f)
}

func TestHandlerPanic(t *testing.T) {
	for _, mode := range []string{"inline", "pool", "channel"} {
		t.Run(mode, func(t *testing.T) {
			cfg := engine.Config{Reactor: engine.ReactorConfig{Loops: 1}} // both sessions on one loop
			if mode == "pool" {
				cfg.Session.Dispatch = session.DispatchPool
				cfg.Reactor.Workers = 1
			}
			srv := engine.New(cfg)
			if mode == "channel" {
				srv.HandleSession("/", func(s *session.Session) {
					for f := range s.Incoming() {
						if f.Text() == "boom" {
							panic("boom")
						}
						_ = s.Send(context.Background(), f)
					}
				})
			} else {
				srv.HandleEvents("/", panicky{})
			}
			addr := startServer(t, srv)
			bystander := upgradeRaw(t, addr, "/a")
			victim := upgradeRaw(t, addr, "/b")

			victim.write(clientFrame(true, frame.OpText, []byte("boom")))
			if code, _ := victim.expectClose(); code != frame.CloseInternalError {
				t.Fatalf("close code %d, want 1011", code)
			}
			victim.write(clientFrame(true, frame.OpClose, closePayload(frame.CloseInternalError, "")))
			victim.expectEOF(ioTimeout)

			for i := 0; i < 10; i++ {
				msg := []byte(fmt.Sprint("still here ", i))
				bystander.write(clientFrame(true, frame.OpText, msg))
				bystander.expectFrame(frame.OpText, msg)
			}
			waitFor(t, ioTimeout, "Conns() == 1", func() bool { return srv.Stats().Conns == 1 })
		})
	}
}
