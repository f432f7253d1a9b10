// Command chat is a WebSocket chat server with rooms: every message a client
// sends goes to every client in the same room, the room being the path
// (/room/lobby, /room/go, ...). A small page at / lets a browser try it.
//
//	go run ./examples/chat -addr 127.0.0.1:8080
//	open http://127.0.0.1:8080/
//
// net/http serves the page and hands /room/ to the surge server, used as an
// http.Handler: an upgraded connection leaves net/http for an event loop.
// SIGINT or SIGTERM shuts the server down gracefully.
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

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/session"
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
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, *addr, func(a net.Addr) { fmt.Printf("chat: open http://%s/\n", a) })
	if err != nil {
		log.Fatal(err)
	}
}

// newChat returns the WebSocket server and the HTTP handler that serves it
// with the page.
func newChat() (*engine.Server, *rooms, http.Handler) {
	srv := engine.New(engine.Config{Session: session.Config{
		MaxMessageSize: maxMessage,
		Backlog:        backlog,
		Backpressure:   session.BackpressureDrop,
	}})
	r := &rooms{}
	srv.HandleEvents("/", r) // net/http only passes /room/... on
	mux := http.NewServeMux()
	mux.Handle(roomPrefix, srv)
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(index)
	})
	return srv, r, mux
}

// run serves on addr until ctx ends, then shuts down gracefully. ready is
// called with the bound address once the server listens.
func run(ctx context.Context, addr string, ready func(net.Addr)) error {
	srv, _, h := newChat()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	ready(ln.Addr())
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
