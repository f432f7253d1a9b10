// Command echo is a WebSocket echo server: every text or binary message a
// client sends on any path comes back to it unchanged.
//
//	go run ./examples/echo -addr 127.0.0.1:8080 -dispatch inline -loops 2 -deflate
//
// -dispatch picks where the handler runs: inline on the event loop (the
// default and the fastest; the handler must not block), pool (a bounded
// worker pool, each session's messages in order) or goroutine (the
// channel-style handler, a goroutine per session reading Incoming). -deflate
// negotiates permessage-deflate (RFC 7692) with clients that offer it, for
// conformance suites' sections 12 and 13; any valid message up to
// MaxMessageSize comes back, however compressible. SIGINT or SIGTERM shuts the
// server down gracefully: every session gets a close frame with 1001 and up to
// five seconds to answer it. -metrics ADDR serves the server's Prometheus
// metrics at http://ADDR/metrics (docs/operations.md).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/metrics"
	"github.com/surgews/surge/session"
)

// shutdownGrace is how long sessions get to finish their closing handshake.
const shutdownGrace = 5 * time.Second

// errDispatch is returned by run for an unknown -dispatch value.
var errDispatch = errors.New("dispatch must be inline, pool or goroutine")

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "TCP address to listen on")
	dispatch := flag.String("dispatch", "inline", "where the handler runs: inline, pool or goroutine")
	loops := flag.Int("loops", 0, "event loops (0 means GOMAXPROCS)")
	compress := flag.Bool("deflate", false, "negotiate permessage-deflate with clients that offer it")
	metricsAddr := flag.String("metrics", "", "serve Prometheus metrics at http://ADDR/metrics (off when empty)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, *addr, *dispatch, *loops, *compress, *metricsAddr, func(a, m net.Addr) {
		fmt.Printf("echo: listening on ws://%s/ (dispatch %s)\n", a, *dispatch)
		if m != nil {
			fmt.Printf("echo: metrics on http://%s/metrics\n", m)
		}
	})
	if err != nil {
		log.Fatal(err)
	}
}

// echo is the event-style handler of the inline and pool modes.
type echo struct{ session.NopHandler }

// OnMessage sends the message back; Send takes the frame over, so its pooled
// buffer is reused without a copy.
func (echo) OnMessage(s *session.Session, f session.Frame) {
	_ = s.Send(context.Background(), f)
}

// echoLoop is the channel-style handler of the goroutine mode.
func echoLoop(s *session.Session) {
	for f := range s.Incoming() {
		if s.Send(context.Background(), f) != nil {
			return
		}
	}
}

// newServer returns the echo server for a dispatch mode.
func newServer(dispatch string, loops int, compress bool) (*engine.Server, error) {
	cfg := engine.Config{Reactor: engine.ReactorConfig{Loops: loops}}
	if compress {
		// A compressed message is bounded by MaxMessageSize (32 MiB by
		// default) like any other.
		cfg.Extensions = []extension.Factory{deflate.New(deflate.Config{})}
	}
	switch dispatch {
	case "inline":
	case "pool":
		cfg.Session.Dispatch = session.DispatchPool
	case "goroutine":
		srv := engine.New(cfg)
		srv.HandleSession("/", echoLoop)
		return srv, nil
	default:
		return nil, fmt.Errorf("%w, not %q", errDispatch, dispatch)
	}
	srv := engine.New(cfg)
	srv.HandleEvents("/", echo{})
	return srv, nil
}

// run serves on addr until ctx ends, then shuts down gracefully; with a
// metricsAddr it serves the server's Prometheus metrics there at /metrics.
// ready is called with the bound addresses once the server listens (addr
// and metricsAddr may have port 0; the metrics address is nil without one).
func run(ctx context.Context, addr, dispatch string, loops int, compress bool, metricsAddr string, ready func(ws, metrics net.Addr)) error {
	srv, err := newServer(dispatch, loops, compress)
	if err != nil {
		return err
	}
	var maddr net.Addr
	if metricsAddr != "" {
		ln, err := net.Listen("tcp", metricsAddr)
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", metrics.Handler(srv.Stats))
		hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = hs.Serve(ln) }()
		defer hs.Close()
		maddr = ln.Addr()
	}
	if err := srv.Start(addr); err != nil {
		return err
	}
	ready(srv.Addr(), maddr)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	return srv.Shutdown(sctx)
}
