package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

const wait = 5 * time.Second

// join dials room on the server at addr and waits until the room has taken
// the session in: a message the client sends comes back to it only once the
// server has registered it. It returns the session.
func join(t *testing.T, addr, room, hello string) *session.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, err := engine.Dial(ctx, "ws://"+addr+"/room/"+room, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Terminate)
	if err := c.Send(ctx, session.CopyText(hello)); err != nil {
		t.Fatal(err)
	}
	expect(t, c, hello)
	return c
}

// expect fails the test unless the next message of c is the text want.
func expect(t *testing.T, c *session.Session, want string) {
	t.Helper()
	select {
	case f, ok := <-c.Incoming():
		if !ok {
			t.Fatalf("session ended (%v) while waiting for %q", c.CloseReason(), want)
		}
		defer f.Release()
		if got := string(f.Payload); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	case <-time.After(wait):
		t.Fatalf("no message, want %q", want)
	}
}

func say(t *testing.T, c *session.Session, f session.Frame) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.Send(ctx, f); err != nil {
		t.Fatal(err)
	}
}

// TestRun runs the chat as main does: the page, two clients in one room who
// see each other, one in another room who does not, and the shutdown.
func TestRun(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	addrs := make(chan net.Addr, 1)
	ran := make(chan error, 1)
	go func() { ran <- run(ctx, "127.0.0.1:0", "", "", func(a, _ net.Addr) { addrs <- a }) }()
	var addr string
	select {
	case a := <-addrs:
		addr = a.String()
	case err := <-ran:
		t.Fatal(err)
	case <-time.After(wait):
		t.Fatal("the server did not start")
	}

	t.Run("page", func(t *testing.T) {
		res, err := http.Get("http://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !bytes.Contains(body, []byte("new WebSocket(")) {
			t.Errorf("GET /: %d, %d bytes", res.StatusCode, len(body))
		}
		res, err = http.Get("http://" + addr + "/elsewhere")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 404 {
			t.Errorf("GET /elsewhere: %d, want 404", res.StatusCode)
		}
	})

	a := join(t, addr, "lobby", "a is here")
	b := join(t, addr, "lobby", "b is here")
	expect(t, a, "b is here")
	c := join(t, addr, "other", "c is here")

	say(t, a, session.CopyText("hi from a"))
	expect(t, a, "hi from a")
	expect(t, b, "hi from a")
	say(t, b, session.BorrowBinary([]byte{1, 2, 3}))
	expect(t, a, "\x01\x02\x03")
	expect(t, b, "\x01\x02\x03")
	// Had a's message leaked into room "other", it would come before this.
	say(t, c, session.CopyText("anyone?"))
	expect(t, c, "anyone?")

	t.Run("no_room", func(t *testing.T) {
		dctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		n, err := engine.Dial(dctx, "ws://"+addr+"/room/", nil)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-n.Done():
		case <-dctx.Done():
			t.Fatal("a session without a room stayed open")
		}
		if got := n.CloseReason().Code; got != frame.ClosePolicyViolation {
			t.Errorf("close reason %v, want 1008", n.CloseReason())
		}
	})

	stop()
	select {
	case err := <-ran:
		if err != nil {
			t.Errorf("run after shutdown: %v", err)
		}
	case <-time.After(2 * wait):
		t.Fatal("run did not return")
	}
	for _, s := range []*session.Session{a, b, c} {
		select {
		case <-s.Done():
		case <-time.After(wait):
			t.Fatal("a client is still open after shutdown")
		}
		if got := s.CloseReason().Code; got != frame.CloseGoingAway {
			t.Errorf("close reason %v, want 1001", s.CloseReason())
		}
	}
}

// serveChat serves the chat with httptest for tests that look inside.
func serveChat(t *testing.T) (string, *rooms) {
	t.Helper()
	srv, r, h := newChat()
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		ts.Close()
		_ = srv.Close()
	})
	return strings.TrimPrefix(ts.URL, "http://"), r
}

func waitCount(t *testing.T, r *rooms, room string, want int) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for r.count(room) != want {
		if time.Now().After(deadline) {
			t.Fatalf("room %q has %d members, want %d", room, r.count(room), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestLeave checks that a client that leaves is out of its room, and that an
// empty room is forgotten.
func TestLeave(t *testing.T) {
	addr, r := serveChat(t)
	a := join(t, addr, "lobby", "a")
	b := join(t, addr, "lobby", "b")
	expect(t, a, "b")
	waitCount(t, r, "lobby", 2)
	if err := b.Close(session.CloseReason{Code: 1000}); err != nil {
		t.Fatal(err)
	}
	waitCount(t, r, "lobby", 1)
	say(t, a, session.CopyText("alone"))
	expect(t, a, "alone")
	a.Terminate()
	waitCount(t, r, "lobby", 0)
	r.mu.Lock()
	n := len(r.members)
	r.mu.Unlock()
	if n != 0 {
		t.Errorf("%d rooms left, want 0", n)
	}
}

// TestSlowPeer puts a client that never reads in the room: the others must
// not wait for it.
func TestSlowPeer(t *testing.T) {
	addr, r := serveChat(t)
	a := join(t, addr, "lobby", "a")

	nc, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(wait))
	_, err = io.WriteString(nc, "GET /room/lobby HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if res, err := http.ReadResponse(bufio.NewReader(nc), nil); err != nil || res.StatusCode != 101 {
		t.Fatalf("slow peer's upgrade: %v %v", res, err)
	}
	waitCount(t, r, "lobby", 2)

	// Far more than the slow peer's socket buffers and backlog can hold.
	big := bytes.Repeat([]byte("m"), 32<<10)
	start := time.Now()
	for i := range 300 {
		say(t, a, session.BorrowBinary(big))
		select {
		case f := <-a.Incoming():
			if len(f.Payload) != len(big) {
				t.Fatalf("message %d: %d bytes", i, len(f.Payload))
			}
			f.Release()
		case <-time.After(wait):
			t.Fatalf("message %d: the sender was held up by the slow peer", i)
		}
	}
	if took := time.Since(start); took > 4*wait {
		t.Errorf("300 messages took %v", took)
	}
	if got := r.count("lobby"); got != 2 {
		t.Errorf("lobby has %d members: the slow peer should be dropped frames, not closed", got)
	}
}

// TestMetrics runs the chat with -metrics: a broadcast in a room shows in
// the server's counters at /metrics (one message in, one out per member).
func TestMetrics(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	type addrs struct{ chat, m net.Addr }
	ready := make(chan addrs, 1)
	ran := make(chan error, 1)
	go func() {
		ran <- run(ctx, "127.0.0.1:0", "", "127.0.0.1:0", func(a, m net.Addr) { ready <- addrs{a, m} })
	}()
	var a addrs
	select {
	case a = <-ready:
	case err := <-ran:
		t.Fatal(err)
	case <-time.After(wait):
		t.Fatal("the server did not start")
	}
	x := join(t, a.chat.String(), "metrics", "x is here")
	y := join(t, a.chat.String(), "metrics", "y is here")
	expect(t, x, "y is here")
	say(t, x, session.CopyText("counted"))
	expect(t, y, "counted")
	res, err := http.Get("http://" + a.m.String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{
		"surge_connections 2",
		`surge_upgrades_total 2`,
		`surge_messages_received_total{type="text"}`,
	} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	stop()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
}
