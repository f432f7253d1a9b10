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

// TestDialer runs dials on a dedicated Dialer and closes it: Close ends the
// sessions on its loops.
func TestDialer(t *testing.T) {
	srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
	srv.HandleEvents("/", session.NopHandler{})
	addr := dialServe(t, srv)
	d, err := engine.NewDialer(engine.ReactorConfig{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	var cs []*session.Session
	for range 3 {
		cs = append(cs, dialSession(t, "ws://"+addr+"/", &engine.DialOptions{Dialer: d}))
	}
	if got := d.Stats().Conns; got != 3 {
		t.Errorf("Dialer.Stats().Conns = %d, want 3", got)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	for i, c := range cs {
		select {
		case <-c.Done():
		case <-time.After(dialWait):
			t.Fatalf("session %d still open after Dialer.Close", i)
		}
	}
	if got := d.Stats().Conns; got != 0 {
		t.Errorf("Dialer.Stats().Conns = %d after Close", got)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Dialer.Close = %v", err)
	}
}

// TestDialAfterDialerClose: a Dial on a closed Dialer fails at once with
// ErrServerClosed instead of waiting for a loop that has ended.
func TestDialAfterDialerClose(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d, err := engine.NewDialer(engine.ReactorConfig{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	_ = d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		c, err := engine.Dial(ctx, "ws://"+ln.Addr().String()+"/", &engine.DialOptions{Dialer: d})
		if err == nil {
			c.Terminate()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, engine.ErrServerClosed) {
			t.Fatalf("Dial on a closed Dialer = %v, want ErrServerClosed", err)
		}
	case <-time.After(dialWait):
		t.Fatal("Dial on a closed Dialer hung")
	}
}
