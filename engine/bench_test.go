package engine_test

import (
	"context"
	"testing"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/session"
)

// dispatchModes are the three ways a server runs its handlers: event style
// inline on the loop, event style on the worker pool, and channel style on a
// goroutine per session.
var dispatchModes = []string{"inline", "pool", "channel"}

// echoPair starts an echo server of mode and a surge client on a dialer of
// its own; both end with the test.
func echoPair(tb testing.TB, mode string) *session.Session {
	tb.Helper()
	srv, _ := countingServer(mode, engine.Config{Reactor: engine.ReactorConfig{Loops: 1, Workers: 1}})
	addr := startServer(tb, srv)
	d, err := engine.NewDialer(engine.ReactorConfig{Loops: 1})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = d.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	c, err := engine.Dial(ctx, "ws://"+addr+"/bench", &engine.DialOptions{Dialer: d})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// roundTrip sends p and waits for its echo.
func roundTrip(tb testing.TB, c *session.Session, p []byte) {
	if err := c.Send(context.Background(), session.BorrowBinary(p)); err != nil {
		tb.Fatal(err)
	}
	f, ok := <-c.Incoming()
	if !ok || len(f.Payload) != len(p) {
		tb.Fatalf("echo lost: %v %v", c.CloseReason(), c.Err())
	}
	f.Release()
}

// BenchmarkEchoRoundTrip measures one sequential round trip (client send,
// server handler echo, client receive) over loopback per dispatch mode. Both
// ends run in this process, so allocs/op counts client and server.
func BenchmarkEchoRoundTrip(b *testing.B) {
	for _, mode := range dispatchModes {
		b.Run(mode, func(b *testing.B) {
			c := echoPair(b, mode)
			p := make([]byte, 128)
			for i := 0; i < 100; i++ { // warm the pools
				roundTrip(b, c, p)
			}
			b.SetBytes(int64(len(p)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				roundTrip(b, c, p)
			}
		})
	}
}
