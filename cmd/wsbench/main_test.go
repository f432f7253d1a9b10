package main

import (
	"context"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/session"
)

// TestMain lets the test binary serve as the worker process of --procs
// tests: runProcs re-executes os.Executable() with "worker ...".
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "worker" {
		os.Exit(exitCode(mainArgs(context.Background(), os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
	}
	os.Exit(m.Run())
}

// corruptEcho echoes every message but changes one byte of the nth message
// the server receives (counting over all sessions).
type corruptEcho struct {
	session.NopHandler
	n     int64
	at    int  // byte index to change
	xor   byte // how to change it
	count atomic.Int64
	drop  bool // do not echo at all
}

func (h *corruptEcho) OnMessage(s *session.Session, f session.Frame) {
	if h.drop {
		return
	}
	if h.n > 0 && h.count.Add(1) == h.n && h.at < len(f.Payload) {
		f.Payload[h.at] ^= h.xor
	}
	_ = s.Send(context.Background(), f)
}

// startServer starts a surge server with h on loopback for one test.
func startServer(t *testing.T, h session.Handler) string {
	t.Helper()
	srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
	srv.HandleEvents("/", h)
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return "ws://" + srv.Addr().String() + "/"
}

// testOptions are small, quick options for mode against url.
func testOptions(mode, url string) options {
	o := defaultOptions(mode)
	o.url = url
	o.conns = 4
	o.size = 64
	o.warmup = 0
	o.duration = 500 * time.Millisecond
	o.timeout = 3 * time.Second
	o.loops = 1
	o.quiet = true
	return o
}

// runT runs o with a bound so a hang fails the test instead of the suite.
func runT(t *testing.T, o options) *Result {
	t.Helper()
	if err := o.validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := run(ctx, &o)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Interrupted {
		t.Fatal("run was interrupted (timed out)")
	}
	return res
}
