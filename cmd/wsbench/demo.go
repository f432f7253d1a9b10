package main

import (
	"context"
	"fmt"
	"io"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/session"
)

// demoEcho is the in-process server's handler: it sends every message back
// from the event loop; Send takes the received frame, so nothing is copied
// twice and nothing is allocated.
type demoEcho struct{ session.NopHandler }

func (demoEcho) OnMessage(s *session.Session, f session.Frame) {
	_ = s.Send(context.Background(), f)
}

// startEchoServer starts a surge echo server on a loopback port with loops
// event loops (0 = GOMAXPROCS) and returns it with its ws:// URL.
func startEchoServer(loops int) (*engine.Server, string, error) {
	srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: loops}})
	srv.HandleEvents("/", demoEcho{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		return nil, "", err
	}
	return srv, "ws://" + srv.Addr().String() + "/", nil
}

// runDemo load-tests an in-process surge echo server with o (demo defaults:
// 100 connections, 1 KiB, depth 1, 1 s warmup, 5 s measured).
func runDemo(ctx context.Context, o *options, stderr io.Writer) (*Result, error) {
	srv, url, err := startEchoServer(1)
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	o.url = url
	if !o.quiet && !o.jsonOut {
		fmt.Fprintf(stderr, "wsbench demo: surge echo server on %s, %s\n", url, o.describe())
	}
	return run(ctx, o)
}
