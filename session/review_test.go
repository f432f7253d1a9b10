package session_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// TestInlineSessionSendNeverWaits: a session served inline never makes Send
// wait, whoever calls it (another session's inline handler broadcasting, for
// instance, which must not stall its event loop). Over the limit the frame is
// queued and reading pauses; at twice the limit the peer is dropped with 1008.
func TestInlineSessionSendNeverWaits(t *testing.T) {
	s, d, _ := newEventSession(t, session.Config{Backlog: 1024}, session.RoleServer)
	d.setBlocked(true)
	p := make([]byte, 100)
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 100 && err == nil; i++ {
			err = s.Send(context.Background(), session.Binary(p))
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Send waited on the backlog of a session served inline")
	}
	if !errors.Is(err, session.ErrBacklogFull) {
		t.Fatalf("Send over twice the backlog = %v, want ErrBacklogFull", err)
	}
	if b := s.Backlog(); b > 2*1024+2*(4+100)+frame.MaxHeaderSize+frame.MaxControlPayload {
		t.Fatalf("backlog grew to %d bytes, want about twice the limit", b)
	}
	if pl := d.pauseLog(); len(pl) == 0 || !pl[0] {
		t.Fatalf("reading was not paused over the limit: %v", pl)
	}
	if r := s.CloseReason(); r.Code != frame.ClosePolicyViolation {
		t.Fatalf("close reason %v, want 1008", r)
	}
}

// flushHandler echoes and flushes from an inline handler.
type flushHandler struct {
	session.NopHandler
	err chan error
}

func (h *flushHandler) OnMessage(s *session.Session, f session.Frame) {
	_ = s.Send(context.Background(), f)
	h.err <- s.Flush(context.Background())
}

// TestFlushInInlineHandler: Flush from an inline handler writes the frames
// batched by the running Feed instead of waiting for the Feed to end, which
// would deadlock the event loop; what the kernel does not take is reported as
// ErrWouldBlock.
func TestFlushInInlineHandler(t *testing.T) {
	h := &flushHandler{err: make(chan error, 2)}
	d := newMemDriver()
	cfg := session.Config{Handler: h}
	s := session.New(&cfg, session.RoleServer, d, nil)
	s.Start()
	feed := func() error {
		done := make(chan error, 1)
		go func() { done <- s.Feed(encodeFrom(session.RoleServer, msg(frame.OpText, "hi"))) }()
		select {
		case err := <-done:
			return err
		case <-time.After(5 * time.Second):
			t.Fatal("Feed deadlocked in Flush")
			return nil
		}
	}
	if err := feed(); err != nil {
		t.Fatal(err)
	}
	if err := <-h.err; err != nil {
		t.Fatalf("Flush in an inline handler = %v, want nil", err)
	}
	if fs := d.frames(t); len(fs) != 1 || string(fs[0].Payload) != "hi" {
		t.Fatalf("wrote %v, want the echo", fs)
	}
	d.setBlocked(true)
	if err := feed(); err != nil {
		t.Fatal(err)
	}
	if err := <-h.err; !errors.Is(err, session.ErrWouldBlock) {
		t.Fatalf("Flush over a blocked socket in an inline handler = %v, want ErrWouldBlock", err)
	}
}

// TestPongAfterQueuedPongWritten: under a backlog that never empties, each
// ping is answered once the pong queued before it has been written.
func TestPongAfterQueuedPongWritten(t *testing.T) {
	s, d, _ := newEventSession(t, session.Config{Dispatch: session.DispatchPool}, session.RoleServer)
	d.setBlocked(true)
	big := make([]byte, 4000)
	ping := func(p string) {
		if err := s.Feed(encodeFrom(session.RoleServer, wf{op: frame.OpPing, fin: true, payload: []byte(p)})); err != nil {
			t.Fatal(err)
		}
	}
	for round := 0; round < 5; round++ {
		if err := s.Send(context.Background(), session.Binary(big)); err != nil {
			t.Fatal(err)
		}
		ping("p")
		// The peer reads the frames before the pong and the pong itself,
		// but the data sent after it keeps the backlog from emptying.
		if err := s.Send(context.Background(), session.Binary(big)); err != nil {
			t.Fatal(err)
		}
		d.mu.Lock()
		d.blocked, d.chunk = false, s.Backlog()-len(big)
		d.mu.Unlock()
		s.Writable()
		d.mu.Lock()
		d.blocked, d.chunk = true, 0
		d.mu.Unlock()
	}
	pongs := 0
	for _, f := range parseWhole(d.bytes()) {
		if f.Op == frame.OpPong {
			pongs++
		}
	}
	if pongs != 5 {
		t.Fatalf("%d pongs for 5 pings under a steady backlog, want 5", pongs)
	}
}

// TestCloseNeverBlocksOnOutgoing: Close returns at once even when Outgoing is
// full and its goroutine waits on a peer that does not read; the close timer
// then bounds the wait.
func TestCloseNeverBlocksOnOutgoing(t *testing.T) {
	d := newMemDriver()
	d.setBlocked(true)
	cfg := session.Config{Handler: session.NopHandler{}, Dispatch: session.DispatchPool, Backlog: 10}
	s := session.New(&cfg, session.RoleServer, d, nil)
	s.Start()
	out := s.Outgoing()
	for i := 0; i < 20; i++ {
		select {
		case out <- session.Text("queued"):
		case <-time.After(100 * time.Millisecond):
			i = 20 // full: the Outgoing goroutine is stuck on the backlog
		}
	}
	returned := make(chan error, 1)
	go func() { returned <- s.Close(session.CloseReason{Code: frame.CloseGoingAway}) }()
	select {
	case err := <-returned:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked on a full Outgoing")
	}
	if d.lastTimer() <= 0 {
		t.Fatal("Close did not arm the close timer")
	}
	s.Timer() // the close timeout passes
	if d.closeCount() != 1 {
		t.Fatalf("transport closes after the close timeout: %d, want 1", d.closeCount())
	}
	s.Closed(nil)
}
