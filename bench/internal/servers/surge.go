package servers

import (
	"context"
	"net"

	"github.com/surgews/surge/bench/internal/stats"
	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/session"
)

// surgeEcho is the event-style echo handler: Send takes ownership of the
// received frame, so its pooled payload goes straight back out and is
// recycled without a copy.
type surgeEcho struct {
	session.NopHandler
	c *stats.Counters
}

func (h surgeEcho) OnOpen(*session.Session) { h.c.Open() }

func (h surgeEcho) OnClose(*session.Session, session.CloseReason) { h.c.Closed() }

func (h surgeEcho) OnMessage(s *session.Session, f session.Frame) {
	h.c.Message()
	_ = s.Send(context.Background(), f)
}

// surgeServer adapts *engine.Server to Server.
type surgeServer struct{ srv *engine.Server }

func (s surgeServer) Addr() net.Addr { return s.srv.Addr() }
func (s surgeServer) Close() error   { return s.srv.Close() }

// startSurge starts an engine with the defaults a user gets (one loop per
// GOMAXPROCS, pool of GOMAXPROCS workers), changing only the dispatch.
func startSurge(addr string, cfg engine.Config, route func(*engine.Server)) (Server, error) {
	srv := engine.New(cfg)
	route(srv)
	if err := srv.Start(addr); err != nil {
		return nil, err
	}
	return surgeServer{srv}, nil
}

func startSurgeInline(addr string, c *stats.Counters) (Server, error) {
	return startSurge(addr, engine.Config{Session: session.Config{Dispatch: session.DispatchInline}}, func(s *engine.Server) {
		s.HandleEvents("/", surgeEcho{c: c})
	})
}

func startSurgePool(addr string, c *stats.Counters) (Server, error) {
	return startSurge(addr, engine.Config{Session: session.Config{Dispatch: session.DispatchPool}}, func(s *engine.Server) {
		s.HandleEvents("/", surgeEcho{c: c})
	})
}

// startSurgeGoroutine is the channel style of the Ktor-like API: a goroutine
// per session ranging over Incoming.
func startSurgeGoroutine(addr string, c *stats.Counters) (Server, error) {
	return startSurge(addr, engine.Config{}, func(s *engine.Server) {
		s.HandleSession("/", func(s *session.Session) {
			c.Open()
			defer c.Closed()
			ctx := context.Background()
			for f := range s.Incoming() {
				c.Message()
				_ = s.Send(ctx, f)
			}
		})
	})
}
