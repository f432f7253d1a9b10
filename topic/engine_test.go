package topic_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
	"github.com/surgews/surge/topic"
	"github.com/surgews/surge/wstest"
)

// room is an event-style handler: a session joins the topic "room", is told
// "joined", and each message it sends is published to the others.
type room struct {
	session.NopHandler
	hub *topic.Hub
}

func (r *room) OnOpen(s *session.Session) {
	if err := r.hub.Subscribe(s, "room"); err != nil {
		_ = s.Close(session.CloseReason{Code: frame.CloseInternalError})
		return
	}
	_ = s.Send(context.Background(), session.CopyText("joined"))
}

func (r *room) OnMessage(s *session.Session, f session.Frame) {
	_ = r.hub.Publish("room", f.Op, f.Payload, s)
}

// channelRoom is room as a channel-style session function.
func channelRoom(hub *topic.Hub) func(*session.Session) {
	return func(s *session.Session) {
		if err := hub.Subscribe(s, "room"); err != nil {
			return
		}
		_ = s.Send(context.Background(), session.CopyText("joined"))
		for f := range s.Incoming() {
			_ = hub.Publish("room", f.Op, f.Payload, s)
			f.Release()
		}
	}
}

// TestHandlerStyles runs a room over real connections with each handler
// style and driver: a message one member sends reaches the other member,
// and not the sender (excluded).
func TestHandlerStyles(t *testing.T) {
	for _, c := range []struct {
		name     string
		route    func(*topic.Hub) engine.Route
		portable bool
	}{
		{"events inline", func(h *topic.Hub) engine.Route { return engine.Route{Events: &room{hub: h}} }, false},
		{"events pool", func(h *topic.Hub) engine.Route {
			return engine.Route{Events: &room{hub: h}, Session: &session.Config{Dispatch: session.DispatchPool}}
		}, false},
		{"channel", func(h *topic.Hub) engine.Route { return engine.Route{Run: channelRoom(h)} }, false},
		{"events portable", func(h *topic.Hub) engine.Route { return engine.Route{Events: &room{hub: h}} }, true},
		{"channel portable", func(h *topic.Hub) engine.Route { return engine.Route{Run: channelRoom(h)} }, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var hub topic.Hub
			srv := engine.New(engine.Config{})
			srv.Handle("/room", c.route(&hub))
			cl := wstest.Client{Portable: c.portable}
			a, b := cl.Dial(t, srv, "/room"), cl.Dial(t, srv, "/room")
			for _, s := range []*session.Session{a, b} {
				if got := wstest.ReadText(t, s.Incoming()); got != "joined" {
					t.Fatalf("got %q, want joined", got)
				}
			}
			send(t, a, "from a")
			if got := wstest.ReadText(t, b.Incoming()); got != "from a" {
				t.Fatalf("b got %q", got)
			}
			send(t, b, "from b")
			// a's next message is b's: its own was not sent back to it.
			if got := wstest.ReadText(t, a.Incoming()); got != "from b" {
				t.Fatalf("a got %q, want from b", got)
			}
			// The loop counts a batch after writing it: the count may
			// trail the receipt a little.
			waitFor(t, func() bool { st := hub.Stats(); return st.Delivered == 2 && st.Published == 2 },
				func() string { return fmt.Sprintf("stats %+v, want 2 published and delivered", hub.Stats()) })
		})
	}
}

// waitFor polls cond until it holds, failing the test with what() after 10 s.
func waitFor(t *testing.T, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(what())
		}
		time.Sleep(time.Millisecond)
	}
}

func send(t *testing.T, s *session.Session, text string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Send(ctx, session.CopyText(text)); err != nil {
		t.Fatal(err)
	}
}

// waitABit yields while a benchmark waits for its readers.
func waitABit() { runtime.Gosched() }
