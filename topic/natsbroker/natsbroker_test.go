package natsbroker_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/natstest"
	"github.com/surgews/surge/session"
	"github.com/surgews/surge/topic"
	"github.com/surgews/surge/topic/natsbroker"
	"github.com/surgews/surge/wstest"
)

func TestSubject(t *testing.T) {
	for _, c := range []struct{ name, topic, want string }{
		{"plain", "lobby", "p.lobby"},
		{"kept bytes", "a_b-C9", "p.a_b-C9"},
		{"dot is a token separator", "a.b", "p.a%2Eb"},
		{"wildcards", "*>", "p.%2A%3E"},
		{"space and percent", "a b%", "p.a%20b%25"},
		{"UTF-8", "é", "p.%C3%A9"},
		{"empty", "", "p.%"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := natsbroker.Subject("p", c.topic); got != c.want {
				t.Fatalf("Subject(%q) = %q, want %q", c.topic, got, c.want)
			}
		})
	}
}

func TestNewRefusesEcho(t *testing.T) {
	ns := natstest.Start(t)
	nc, err := nats.Connect(ns.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := natsbroker.New(nc, ""); err == nil {
		t.Fatal("New accepted a connection without NoEcho: a node would get its own messages twice")
	}
}

// node is one surge server with a hub joined to NATS, whose route puts each
// session in the topic of its path and publishes what it receives.
type node struct {
	hub       *topic.Hub
	srv       *engine.Server
	nc        *nats.Conn
	mu        sync.Mutex
	reconnect chan struct{} // gets a token at each reconnection
}

func startNode(t *testing.T, url string) *node {
	t.Helper()
	n := &node{reconnect: make(chan struct{}, 16)}
	nc, err := nats.Connect(url, nats.NoEcho(), nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond),
		nats.ReconnectHandler(func(*nats.Conn) { n.reconnect <- struct{}{} }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	b, err := natsbroker.New(nc, "test")
	if err != nil {
		t.Fatal(err)
	}
	n.hub, err = topic.NewHub(b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.hub.Close() })
	n.nc = nc
	n.srv = engine.New(engine.Config{})
	n.srv.Handle("/", engine.Route{Run: func(s *session.Session) {
		name := s.Request().Path[1:]
		if err := n.hub.Subscribe(s, name); err != nil {
			return
		}
		// Once this node's interest has reached the NATS server, a
		// publish on another node reaches it.
		_ = nc.Flush()
		_ = s.Send(t.Context(), session.CopyText("joined"))
		for f := range s.Incoming() {
			_ = n.hub.Publish(name, f.Op, f.Payload, nil)
			f.Release()
		}
	}})
	return n
}

func join(t *testing.T, n *node, topicName string) *session.Session {
	t.Helper()
	s := wstest.Client{}.Dial(t, n.srv, "/"+topicName)
	if got := wstest.ReadText(t, s.Incoming()); got != "joined" {
		t.Fatalf("got %q, want joined", got)
	}
	return s
}

// TestTwoNodes: a message published on one node reaches the topic's
// subscribers on both, once each, and nowhere else.
func TestTwoNodes(t *testing.T) {
	ns := natstest.Start(t)
	a, b := startNode(t, ns.URL), startNode(t, ns.URL)
	a1, b1, b2 := join(t, a, "room.1"), join(t, b, "room.1"), join(t, b, "room.1")
	other := join(t, b, "room 2")
	send(t, a1, "hello")
	for i, s := range []*session.Session{a1, b1, b2} {
		if got := wstest.ReadText(t, s.Incoming()); got != "hello" {
			t.Fatalf("subscriber %d got %q", i, got)
		}
	}
	// Binary crosses as binary; and b2's next message is this one, so
	// "hello" came once.
	if err := b.hub.Publish("room.1", frame.OpBinary, []byte{1, 2, 3}, nil); err != nil {
		t.Fatal(err)
	}
	for i, s := range []*session.Session{a1, b1, b2} {
		f := wstest.ReadFrame(t, s.Incoming())
		if f.Op != frame.OpBinary || !slices.Equal(f.Payload, []byte{1, 2, 3}) {
			t.Fatalf("subscriber %d got %v %q", i, f.Op, f.Payload)
		}
		f.Release()
	}
	send(t, other, "own room")
	if got := wstest.ReadText(t, other.Incoming()); got != "own room" {
		t.Fatalf("got %q", got)
	}
	// Each node handled each message once: a its "hello" and b's binary
	// (its own "room 2" message never reached it: no subscriber there), b
	// "hello" from a, its binary and "own room".
	waitFor(t, func() bool { return a.hub.Stats().Published == 2 && b.hub.Stats().Published == 3 }, "published counts")
	if sa, sb := a.hub.Stats(), b.hub.Stats(); sa.Published != 2 || sb.Published != 3 {
		t.Errorf("published: node a %d, want 2; node b %d, want 3", sa.Published, sb.Published)
	}
}

// TestReconnect cuts the NATS connection (the server is killed) and restores
// it (started again on the same port): local delivery goes on meanwhile,
// and once both nodes have reconnected, messages cross again.
func TestReconnect(t *testing.T) {
	ns := natstest.Start(t)
	a, b := startNode(t, ns.URL), startNode(t, ns.URL)
	a1, b1 := join(t, a, "r"), join(t, b, "r")
	send(t, a1, "before")
	for _, s := range []*session.Session{a1, b1} {
		if got := wstest.ReadText(t, s.Incoming()); got != "before" {
			t.Fatalf("got %q", got)
		}
	}
	ns.Stop()
	waitFor(t, func() bool { return !a.nc.IsConnected() && !b.nc.IsConnected() }, "nodes still connected after the server died")
	// Cut off: the sender's own node still delivers.
	send(t, a1, "during")
	if got := wstest.ReadText(t, a1.Incoming()); got != "during" {
		t.Fatalf("local subscriber got %q during the outage", got)
	}
	ns.Restart()
	for _, n := range []*node{a, b} {
		select {
		case <-n.reconnect:
		case <-time.After(20 * time.Second):
			t.Fatal("a node did not reconnect")
		}
	}
	// Both have reconnected and resubscribed: b's subscription reaches the
	// server before b's next flush returns.
	if err := b.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	send(t, a1, "after")
	// "during" was kept in a's reconnect buffer and sent after a
	// reconnected; whether it reached b depends on which node reconnected
	// first (b may not have resubscribed yet). Core NATS does not retry.
	var got []string
	for len(got) == 0 || got[len(got)-1] != "after" {
		got = append(got, wstest.ReadText(t, b1.Incoming()))
	}
	if len(got) > 2 || len(got) == 2 && got[0] != "during" {
		t.Fatalf("node b got %q after the outage, want [during] after", got)
	}
	t.Logf("node b got %q after the outage", got)
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func send(t *testing.T, s *session.Session, text string) {
	t.Helper()
	if err := s.Send(t.Context(), session.CopyText(text)); err != nil {
		t.Fatal(err)
	}
}
