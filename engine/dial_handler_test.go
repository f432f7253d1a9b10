package engine_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// clientEvents is an event-style client handler that records its events in
// order. On open it sends "hi"; it sends "bye" after its second message.
type clientEvents struct {
	mu     sync.Mutex
	log    []string
	opened chan *session.Session
	closed chan session.CloseReason
}

func newClientEvents() *clientEvents {
	return &clientEvents{opened: make(chan *session.Session, 1), closed: make(chan session.CloseReason, 1)}
}

func (h *clientEvents) add(e string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.log = append(h.log, e)
	return len(h.log)
}

func (h *clientEvents) events() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.log...)
}

func (h *clientEvents) OnOpen(s *session.Session) {
	h.add("open")
	h.opened <- s
	_ = s.Send(context.Background(), session.CopyText("hi"))
}

func (h *clientEvents) OnMessage(s *session.Session, f session.Frame) {
	if h.add("message "+f.Text()) == 3 {
		_ = s.Send(context.Background(), session.CopyText("bye"))
	}
}

func (h *clientEvents) OnError(_ *session.Session, err error) { h.add("error " + err.Error()) }

func (h *clientEvents) OnClose(_ *session.Session, r session.CloseReason) {
	h.add("close " + r.String())
	h.closed <- r
}

// TestDialHandler dials event-style client sessions (DialOptions.Handler),
// with handlers inline and on the worker pool, on the event loops and on the
// portable driver: the handler gets OnOpen first, then the server's
// messages in order, then OnClose with the server's close reason, and no
// OnError; the session has no Incoming.
func TestDialHandler(t *testing.T) {
	srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
	srv.HandleSession("/", func(s *session.Session) {
		ctx := context.Background()
		_ = s.Send(ctx, session.CopyText("welcome"))
		for f := range s.Incoming() {
			msg := f.Text()
			f.Release()
			if msg == "bye" {
				_ = s.Close(session.CloseReason{Code: frame.CloseNormal, Reason: "see you"})
				<-s.Done()
				return
			}
			_ = s.Send(ctx, session.CopyText("echo "+msg))
		}
	})
	addr := dialServe(t, srv)
	d, err := engine.NewDialer(engine.ReactorConfig{Loops: 1, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	for _, driver := range []string{"event_loop", "portable"} {
		for _, dispatch := range []session.Dispatch{session.DispatchInline, session.DispatchPool} {
			name := driver + "/inline"
			if dispatch == session.DispatchPool {
				name = driver + "/pool"
			}
			t.Run(name, func(t *testing.T) {
				h := newClientEvents()
				opts := &engine.DialOptions{Handler: h, Session: session.Config{Dispatch: dispatch}, Dialer: d}
				if driver == "portable" {
					var nd net.Dialer
					opts.NetDial = nd.DialContext
				}
				ctx, cancel := context.WithTimeout(context.Background(), dialWait)
				defer cancel()
				c, err := engine.Dial(ctx, "ws://"+addr+"/", opts)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(c.Terminate)
				if c.Incoming() != nil {
					t.Error("an event-style client session has an Incoming channel")
				}
				select {
				case s := <-h.opened:
					if s != c {
						t.Error("OnOpen got another session than Dial returned")
					}
				case <-ctx.Done():
					t.Fatal("no OnOpen")
				}
				var r session.CloseReason
				select {
				case r = <-h.closed:
				case <-ctx.Done():
					t.Fatalf("no OnClose; events so far: %q", h.events())
				}
				if r.Code != frame.CloseNormal || r.Reason != "see you" {
					t.Errorf("OnClose reason %v, want %d see you", r, frame.CloseNormal)
				}
				want := []string{"open", "message welcome", "message echo hi", "close " + r.String()}
				if got := h.events(); strings.Join(got, "|") != strings.Join(want, "|") {
					t.Errorf("events %q, want %q", got, want)
				}
				select {
				case <-c.Done():
				case <-time.After(ioTimeout):
					t.Fatal("Done not closed after OnClose")
				}
				if c.CloseReason() != r || c.Err() != nil {
					t.Errorf("session ended with %v, %v; OnClose got %v", c.CloseReason(), c.Err(), r)
				}
			})
		}
	}
	waitFor(t, ioTimeout, "Dialer.Stats().Conns == 0", func() bool { return d.Stats().Conns == 0 })
	waitFor(t, ioTimeout, "Conns() == 0", func() bool { return srv.Stats().Conns == 0 })
	if t.Failed() {
		return
	}

	t.Run("error_then_close", func(t *testing.T) {
		// A server that breaks the protocol (a masked frame, §5.1): the
		// client's handler gets OnError with the violation, then OnClose.
		addr := rawServer(t, nil, func(p *rawPeer) {
			_, _ = p.Write([]byte(dialSwitch(p.key())))
			_, _ = p.Write(dialFrame(frame.OpText, []byte("masked"), []byte{1, 2, 3, 4}))
			// Read up to the client's close frame, then close the
			// connection, as a server ends the closing handshake.
			for {
				_, op, _, _, err := dialReadFrame(p.br)
				if err != nil || op == frame.OpClose {
					return
				}
			}
		})
		h := newClientEvents()
		ctx, cancel := context.WithTimeout(context.Background(), dialWait)
		defer cancel()
		c, err := engine.Dial(ctx, "ws://"+addr+"/", &engine.DialOptions{Handler: h})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Terminate)
		select {
		case r := <-h.closed:
			if r.Code != frame.CloseProtocolError {
				t.Errorf("OnClose reason %v, want %d", r, frame.CloseProtocolError)
			}
		case <-ctx.Done():
			t.Fatalf("no OnClose; events so far: %q", h.events())
		}
		ev := h.events()
		if len(ev) != 3 || ev[0] != "open" || !strings.HasPrefix(ev[1], "error ") || !strings.HasPrefix(ev[2], "close ") {
			t.Fatalf("events %q, want open, error, close", ev)
		}
		if code, ok := frame.CloseCodeOf(c.Err()); !ok || code != frame.CloseProtocolError {
			t.Errorf("Err() = %v, want a protocol error", c.Err())
		}
	})
}
