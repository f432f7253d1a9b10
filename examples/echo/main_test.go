package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// TestRun runs the server as main does, echoes text and binary in each
// dispatch mode, with and without permessage-deflate, through engine.Dial,
// then stops it and checks the graceful shutdown: the client is told 1001,
// and run returns nil.
func TestRun(t *testing.T) {
	for _, mode := range []string{"inline", "pool", "goroutine", "inline+deflate", "goroutine+deflate"} {
		dispatch, compress := strings.CutSuffix(mode, "+deflate")
		t.Run(mode, func(t *testing.T) {
			ctx, stop := context.WithCancel(context.Background())
			defer stop()
			addrs := make(chan net.Addr, 1)
			ran := make(chan error, 1)
			go func() { ran <- run(ctx, "127.0.0.1:0", dispatch, 1, compress, func(a net.Addr) { addrs <- a }) }()
			var addr net.Addr
			select {
			case addr = <-addrs:
			case err := <-ran:
				t.Fatalf("run: %v", err)
			case <-time.After(5 * time.Second):
				t.Fatal("the server did not start")
			}

			dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			opts := &engine.DialOptions{Extensions: []extension.Factory{deflate.New(deflate.Config{})}}
			c, err := engine.Dial(dctx, "ws://"+addr.String()+"/any/path", opts)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Terminate()
			if got := len(c.Request().Extensions); got != map[bool]int{false: 0, true: 1}[compress] {
				t.Fatalf("%d extensions negotiated with -deflate=%v", got, compress)
			}
			msgs := []session.Frame{
				session.CopyText("hello"),
				session.BorrowBinary([]byte{0, 1, 2, 0xff}),
				session.CopyText(""),
				session.BorrowBinary(bytes.Repeat([]byte("x"), 100<<10)),
			}
			for i, m := range msgs {
				op, want := m.Op, append([]byte{}, m.Payload...)
				if err := c.Send(dctx, m); err != nil {
					t.Fatal(err)
				}
				select {
				case f, ok := <-c.Incoming():
					if !ok {
						t.Fatalf("message %d: session ended: %v", i, c.CloseReason())
					}
					if f.Op != op || !bytes.Equal(f.Payload, want) {
						t.Errorf("message %d: got %v of %d bytes, want %v of %d", i, f.Op, len(f.Payload), op, len(want))
					}
					f.Release()
				case <-dctx.Done():
					t.Fatalf("message %d: no echo", i)
				}
			}

			stop()
			select {
			case err := <-ran:
				if err != nil {
					t.Errorf("run after shutdown: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("run did not return after the context ended")
			}
			select {
			case <-c.Done():
			case <-dctx.Done():
				t.Fatal("client still open after shutdown")
			}
			if got := c.CloseReason().Code; got != frame.CloseGoingAway {
				t.Errorf("client close reason %v, want 1001", c.CloseReason())
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	cases := []struct {
		name     string
		addr     string
		dispatch string
		is       error
	}{
		{name: "unknown_dispatch", addr: "127.0.0.1:0", dispatch: "threads", is: errDispatch},
		{name: "bad_address", addr: "127.0.0.1:notaport", dispatch: "inline"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := run(ctx, tc.addr, tc.dispatch, 1, false, func(net.Addr) { t.Error("ready called") })
			if err == nil {
				t.Fatal("run succeeded")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
		})
	}
}
