package engine_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/session"
)

// TestDialAfterDialerClose: a Dial on a closed Dialer fails at once instead
// of waiting for a loop that has ended.
func TestDialAfterDialerClose(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d, err := engine.NewDialer(1)
	if err != nil {
		t.Fatal(err)
	}
	_ = d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := engine.Dial(ctx, "ws://"+ln.Addr().String()+"/", &engine.DialOptions{Dialer: d})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, engine.ErrServerClosed) {
			t.Fatalf("Dial on a closed Dialer = %v, want ErrServerClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Dial on a closed Dialer hung")
	}
}

// TestPortablePausedTerminate: a portable session whose reading is paused
// (its channel-style handler stopped reading) still ends when terminated.
func TestPortablePausedTerminate(t *testing.T) {
	srv := engine.New(engine.Config{})
	got := make(chan *session.Session, 1)
	srv.HandleFunc("/", func(s *session.Session) {
		got <- s
		<-s.Done() // never reads Incoming
	})
	sc, cc := net.Pipe()
	go srv.ServeConn(sc)
	defer cc.Close()
	// Raw client: handshake, then enough messages to pause reading.
	if _, err := cc.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	go func() { // drain what the server writes
		b := make([]byte, 4096)
		for {
			if _, err := cc.Read(b); err != nil {
				return
			}
		}
	}()
	var s *session.Session
	select {
	case s = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("no session")
	}
	frameBytes := []byte{0x82, 0x81, 0, 0, 0, 0, 'x'}
	for i := 0; i < session.DefaultQueueLimit+session.DefaultIncomingBuffer+8; i++ {
		_ = cc.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
		if _, err := cc.Write(frameBytes); err != nil {
			break // reading paused: the pipe no longer takes bytes
		}
	}
	s.Terminate()
	select {
	case <-s.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a paused portable session did not end after Terminate")
	}
}
