package engine_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/mask"
	"github.com/surgews/surge/session"
)

// TestPortableStalledPeerKeepsSessionResponsive serves a session with the
// portable driver over a net.Pipe whose far end stops reading after the
// handshake, so every write to it blocks. The session's other paths must not
// wait for that write: Send fills the buffers and then reports
// ErrBacklogFull, CloseReason answers, a ping and a message from the peer
// are still read and handled, and Close returns. A driver that wrote under
// the session's lock would block all of them behind the first write.
func TestPortableStalledPeerKeepsSessionResponsive(t *testing.T) {
	const wait = 5 * time.Second
	srv := engine.New(engine.Config{Session: session.Config{
		Backpressure: session.BackpressureDrop,
		Timeout:      time.Minute, // no write deadline rescues a blocked write during the test
	}})
	defer srv.Close()
	sessions := make(chan *session.Session, 1)
	received := make(chan string, 4)
	srv.HandleSession("/", func(s *session.Session) {
		sessions <- s
		for f := range s.Incoming() {
			received <- f.Text()
			f.Release()
		}
	})
	sc, cc := net.Pipe()
	defer cc.Close()
	go srv.ServeConn(sc)

	// The peer's handshake; after it, the peer never reads again.
	_ = cc.SetDeadline(time.Now().Add(wait))
	if _, err := cc.Write([]byte("GET / HTTP/1.1\r\nHost: pipe.invalid\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(cc)
	status, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 101") {
		t.Fatalf("handshake answer %q, %v", status, err)
	}
	for line := ""; line != "\r\n"; {
		if line, err = br.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	_ = cc.SetDeadline(time.Time{})
	var s *session.Session
	select {
	case s = <-sessions:
	case <-time.After(wait):
		t.Fatal("no session")
	}

	// within runs fn on its own goroutine and fails the test if it has not
	// returned within the bound: a blocked session must fail, not hang.
	within := func(what string, fn func()) {
		t.Helper()
		done := make(chan struct{})
		go func() { defer close(done); fn() }()
		select {
		case <-done:
		case <-time.After(wait):
			t.Fatalf("%s did not return within %v: the session is stuck behind a blocked write", what, wait)
		}
	}

	big := make([]byte, 64<<10)
	within("filling the backlog", func() {
		for i := 0; i < 1000; i++ {
			if err := s.Send(context.Background(), session.BorrowBinary(big)); err != nil {
				if !errors.Is(err, session.ErrBacklogFull) {
					t.Errorf("Send: %v, want ErrBacklogFull", err)
				}
				return
			}
		}
		t.Errorf("1000 sends of 64 KiB to a peer that reads nothing all succeeded")
	})
	within("CloseReason", func() { _ = s.CloseReason() })

	// The peer pings and sends a message: the reader must still take them
	// and the handler see the message.
	within("the peer's ping and message", func() {
		for _, f := range []struct {
			op frame.Opcode
			p  string
		}{{frame.OpPing, "ping"}, {frame.OpText, "still here"}} {
			if _, err := cc.Write(maskedFrame(f.op, []byte(f.p))); err != nil {
				t.Errorf("peer write: %v", err)
			}
		}
	})
	select {
	case m := <-received:
		if m != "still here" {
			t.Fatalf("handler got %q", m)
		}
	case <-time.After(wait):
		t.Fatal("the message sent after the stall never reached the handler")
	}
	within("Close", func() {
		if err := s.Close(session.CloseReason{Code: frame.CloseNormal}); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	within("Terminate", s.Terminate)
	select {
	case <-s.Done():
	case <-time.After(wait):
		t.Fatal("the session did not end after Terminate")
	}
}

// maskedFrame encodes a final frame as a client sends it.
func maskedFrame(op frame.Opcode, p []byte) []byte {
	h := frame.Header{Fin: true, Op: op, Length: int64(len(p)), Masked: true, Key: [4]byte{1, 2, 3, 4}}
	b := frame.AppendHeader(nil, &h)
	n := len(b)
	b = append(b, p...)
	mask.XOR(b[n:], h.Key, 0)
	return b
}
