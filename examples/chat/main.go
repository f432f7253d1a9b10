// Command chat is a WebSocket chat server with rooms: every message a client
// sends goes to every client in the same room, the room being the path
// (/room/lobby, /room/go, ...). A small page at / lets a browser try it.
//
//	go run ./examples/chat -addr 127.0.0.1:8080
//	open http://127.0.0.1:8080/
//
// Each room is a topic of a topic.Hub. With -nats, the chat is one node of a
// cluster: chat processes joined to one NATS server share their rooms.
//
//	nats-server -a 127.0.0.1 -p 4222 &
//	go run ./examples/chat -addr 127.0.0.1:8080 -nats nats://127.0.0.1:4222 &
//	go run ./examples/chat -addr 127.0.0.1:8081 -nats nats://127.0.0.1:4222
//
// net/http serves the page and hands /room/ to the surge server, used as an
// http.Handler: an upgraded connection leaves net/http for an event loop.
// -metrics ADDR serves the server's Prometheus metrics at http://ADDR/metrics
// (docs/operations.md). SIGINT or SIGTERM shuts the server down gracefully.
package main

import (
	"context"
	_ "embed"
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

	"github.com/nats-io/nats.go"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/metrics"
	"github.com/surgews/surge/session"
	"github.com/surgews/surge/topic"
	"github.com/surgews/surge/topic/natsbroker"
)

// index is the browser client.
//
//go:embed index.html
var index []byte

const (
	// shutdownGrace is how long sessions get to finish their closing
	// handshake on shutdown.
	shutdownGrace = 5 * time.Second
	// maxMessage bounds a chat message; a larger one closes its session
	// with 1009.
	maxMessage = 64 << 10
	// backlog bounds what waits for one slow client; past it, broadcasts to
	// that client are dropped.
	backlog = 256 << 10
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "TCP address to listen on")
	natsURL := flag.String("nats", "", "NATS server URL: share rooms with the chat processes joined to it")
	metricsAddr := flag.String("metrics", "", "serve Prometheus metrics at http://ADDR/metrics (off when empty)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, *addr, *natsURL, *metricsAddr, func(a, m net.Addr) {
		fmt.Printf("chat: open http://%s/\n", a)
		if m != nil {
			fmt.Printf("chat: metrics on http://%s/metrics\n", m)
		}
	})
	if err != nil {
		log.Fatal(err)
	}
}

// newChat returns the WebSocket server of an in-process hub and the HTTP
// handler that serves it with the page.
func newChat() (*engine.Server, *rooms, http.Handler) { return newChatOn(&topic.Hub{}) }

// newChatOn is newChat with rooms on hub.
func newChatOn(hub *topic.Hub) (*engine.Server, *rooms, http.Handler) {
	srv := engine.New(engine.Config{Session: session.Config{
		MaxMessageSize: maxMessage,
		Backlog:        backlog,
		Backpressure:   session.BackpressureDrop,
	}})
	r := &rooms{hub: hub}
	srv.HandleEvents("/", r) // net/http only passes /room/... on
	mux := http.NewServeMux()
	mux.Handle(roomPrefix, srv)
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(index)
	})
	return srv, r, mux
}

// run serves on addr until ctx ends, then shuts down gracefully; with a
// NATS URL, its rooms are shared through that server, and with a metrics
// address, the server's Prometheus metrics are served there at /metrics.
// ready is called with the bound addresses once the server listens (the
// metrics address is nil without one).
func run(ctx context.Context, addr, natsURL, metricsAddr string, ready func(chat, metrics net.Addr)) error {
	hub, closeHub, err := newHub(natsURL)
	if err != nil {
		return err
	}
	defer closeHub()
	srv, _, h := newChatOn(hub)
	var maddr net.Addr
	if metricsAddr != "" {
		mln, err := net.Listen("tcp", metricsAddr)
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", metrics.Handler(srv.Stats))
		ms := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = ms.Serve(mln) }()
		defer ms.Close()
		maddr = mln.Addr()
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	ready(ln.Addr(), maddr)
	select {
	case <-ctx.Done():
	case err := <-served:
		_ = srv.Close()
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	// Stop taking upgrades first; the upgraded sessions are surge's, not
	// net/http's, so its Shutdown does not wait for them.
	herr := hs.Shutdown(sctx)
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		herr = errors.Join(herr, err)
	}
	return errors.Join(herr, srv.Shutdown(sctx))
}

// newHub returns an in-process hub, or with a URL one joined to that NATS
// server. The connection reconnects for ever: while it is down, each process
// serves its own clients, and messages from the others are lost.
func newHub(natsURL string) (*topic.Hub, func(), error) {
	if natsURL == "" {
		return &topic.Hub{}, func() {}, nil
	}
	nc, err := nats.Connect(natsURL, nats.NoEcho(), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Printf("chat: NATS connection lost: %v", err) }),
		nats.ReconnectHandler(func(*nats.Conn) { log.Printf("chat: NATS connection restored") }))
	if err != nil {
		return nil, nil, err
	}
	b, err := natsbroker.New(nc, "")
	if err == nil {
		var hub *topic.Hub
		if hub, err = topic.NewHub(b); err == nil {
			return hub, func() { _ = hub.Close(); nc.Close() }, nil
		}
	}
	nc.Close()
	return nil, nil, err
}
