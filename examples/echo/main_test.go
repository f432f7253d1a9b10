package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
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
			go func() { ran <- run(ctx, "127.0.0.1:0", dispatch, 1, compress, "", func(a, _ net.Addr) { addrs <- a }) }()
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
			err := run(ctx, tc.addr, tc.dispatch, 1, false, "", func(_, _ net.Addr) { t.Error("ready called") })
			if err == nil {
				t.Fatal("run succeeded")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
		})
	}
}

// TestMetrics runs the server with -metrics, echoes messages and scrapes
// /metrics: the server's counts are the client's, and the connection gauge
// is back to 0 once the client has gone.
func TestMetrics(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	type addrs struct{ ws, m net.Addr }
	ready := make(chan addrs, 1)
	ran := make(chan error, 1)
	go func() {
		ran <- run(ctx, "127.0.0.1:0", "inline", 1, false, "127.0.0.1:0", func(a, m net.Addr) { ready <- addrs{a, m} })
	}()
	var a addrs
	select {
	case a = <-ready:
	case err := <-ran:
		t.Fatalf("run: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("the server did not start")
	}
	const n = 25
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := engine.Dial(dctx, "ws://"+a.ws.String()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		_ = c.SendText(dctx, "count me")
		f := <-c.Incoming()
		f.Release()
	}
	_ = c.Close(session.CloseReason{Code: frame.CloseNormal})
	<-c.Done()
	scrape := func() string {
		res, err := http.Get("http://" + a.m.String() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(scrape(), "\nsurge_connections 0\n") {
		if time.Now().After(deadline) {
			t.Fatalf("surge_connections did not return to 0:\n%s", scrape())
		}
		time.Sleep(5 * time.Millisecond)
	}
	body := scrape()
	for _, want := range []string{
		fmt.Sprintf(`surge_messages_received_total{type="text"} %d`, n),
		fmt.Sprintf(`surge_messages_sent_total{type="text"} %d`, n),
		`surge_sessions_ended_total{reason="normal"} 1`,
		"go_goroutines ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	stop()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
}
