package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"sync"

	"github.com/gorilla/websocket"
	"github.com/lesismal/nbio/logging"
	"github.com/lesismal/nbio/nbhttp"
	nbws "github.com/lesismal/nbio/nbhttp/websocket"
	"github.com/lxzan/gws"
	"github.com/nats-io/nats.go"

	"github.com/surgews/surge/bench/internal/stats"
	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/session"
	"github.com/surgews/surge/topic"
	"github.com/surgews/surge/topic/natsbroker"
)

// Every fan-out server has two paths: a connection to /sub subscribes to
// the one topic, and each message received on /pub is sent to every
// subscriber, the way each library's documentation shows it. c counts the
// publishes.

type server interface {
	Addr() net.Addr
	Close() error
}

type netServer struct {
	ln    net.Listener
	close func() error
}

func (s *netServer) Addr() net.Addr { return s.ln.Addr() }
func (s *netServer) Close() error   { return s.close() }

var servers = map[string]func(addr string, c *stats.Counters) (server, error){
	"surge":   startSurge,
	"gws":     startGWS,
	"gorilla": startGorilla,
	"nbio":    startNbio,
}

// libOrder is the report order.
var libOrder = []string{"surge", "gws", "gorilla", "nbio"}

// surgeFanout is an inline event handler over a topic.Hub: Publish encodes
// the frame once and hands each event loop its subscribers.
type surgeFanout struct {
	session.NopHandler
	hub *topic.Hub
	c   *stats.Counters
}

func (h *surgeFanout) OnOpen(s *session.Session) {
	h.c.Open()
	if s.Request().Path == "/sub" {
		_ = h.hub.Subscribe(s, "all")
	}
}

func (h *surgeFanout) OnClose(*session.Session, session.CloseReason) { h.c.Closed() }

func (h *surgeFanout) OnMessage(s *session.Session, f session.Frame) {
	h.c.Message()
	_ = h.hub.Publish("all", f.Op, f.Payload, nil)
}

// startSurge serves an in-process hub, or, with FANOUT_NATS set, a hub
// joined through that NATS server to the other node.
func startSurge(addr string, c *stats.Counters) (server, error) {
	hub := &topic.Hub{}
	if url := os.Getenv("FANOUT_NATS"); url != "" {
		nc, err := nats.Connect(url, nats.NoEcho())
		if err != nil {
			return nil, err
		}
		b, err := natsbroker.New(nc, "")
		if err != nil {
			return nil, err
		}
		if hub, err = topic.NewHub(b); err != nil {
			return nil, err
		}
	}
	srv := engine.New(engine.Config{})
	srv.HandleEvents("/", &surgeFanout{hub: hub, c: c})
	if err := srv.Start(addr); err != nil {
		return nil, err
	}
	return &surgeServer{srv}, nil
}

type surgeServer struct{ srv *engine.Server }

func (s *surgeServer) Addr() net.Addr { return s.srv.Addr() }
func (s *surgeServer) Close() error   { return s.srv.Close() }

// gwsFanout keeps the subscribers and broadcasts with gws.Broadcaster, as
// gws's README shows: one Broadcaster per message, Broadcast per
// connection, Close.
type gwsFanout struct {
	gws.BuiltinEventHandler
	c    *stats.Counters
	mu   sync.RWMutex
	subs map[*gws.Conn]struct{}
}

func (h *gwsFanout) OnOpen(s *gws.Conn) {
	h.c.Open()
	if p, _ := s.Session().Load("path"); p == "/sub" {
		h.mu.Lock()
		h.subs[s] = struct{}{}
		h.mu.Unlock()
	}
}

func (h *gwsFanout) OnClose(s *gws.Conn, _ error) {
	h.c.Closed()
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
}

func (h *gwsFanout) OnPing(s *gws.Conn, p []byte) { _ = s.WritePong(p) }

func (h *gwsFanout) OnMessage(s *gws.Conn, m *gws.Message) {
	defer m.Close()
	h.c.Message()
	b := gws.NewBroadcaster(m.Opcode, m.Bytes())
	h.mu.RLock()
	for sub := range h.subs {
		_ = b.Broadcast(sub)
	}
	h.mu.RUnlock()
	_ = b.Close()
}

func startGWS(addr string, c *stats.Counters) (server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	h := &gwsFanout{c: c, subs: make(map[*gws.Conn]struct{})}
	srv := gws.NewServer(h, &gws.ServerOption{
		ParallelEnabled: false,
		Authorize: func(r *http.Request, s gws.SessionStorage) bool {
			s.Store("path", r.URL.Path)
			return true
		},
	})
	srv.OnError = func(net.Conn, error) {}
	go func() { _ = srv.RunListener(ln) }()
	return &netServer{ln: ln, close: ln.Close}, nil
}

// gorillaSub is one subscriber: gorilla allows one writer at a time, so
// each has a writer goroutine fed by a channel, as gorilla's chat example
// does; a full channel drops the message for that subscriber.
type gorillaSub struct {
	conn *websocket.Conn
	send chan *websocket.PreparedMessage
}

func startGorilla(addr string, c *stats.Counters) (server, error) {
	up := websocket.Upgrader{
		ReadBufferSize:  4096,
		WriteBufferSize: 4096,
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     func(*http.Request) bool { return true },
	}
	var mu sync.RWMutex
	subs := make(map[*gorillaSub]struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/sub", func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c.Open()
		s := &gorillaSub{conn: conn, send: make(chan *websocket.PreparedMessage, 256)}
		mu.Lock()
		subs[s] = struct{}{}
		mu.Unlock()
		go func() {
			for pm := range s.send {
				if conn.WritePreparedMessage(pm) != nil {
					return
				}
			}
		}()
		for {
			if _, _, err := conn.NextReader(); err != nil {
				break
			}
		}
		mu.Lock()
		delete(subs, s)
		mu.Unlock()
		close(s.send)
		conn.Close()
		c.Closed()
	})
	mux.HandleFunc("/pub", func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		for {
			mt, p, err := conn.ReadMessage()
			if err != nil {
				return
			}
			c.Message()
			pm, err := websocket.NewPreparedMessage(mt, p)
			if err != nil {
				return
			}
			mu.RLock()
			for s := range subs {
				select {
				case s.send <- pm:
				default:
				}
			}
			mu.RUnlock()
		}
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: mux}
	go func() { _ = hs.Serve(ln) }()
	return &netServer{ln: ln, close: hs.Close}, nil
}

// startNbio broadcasts with WriteMessage on each subscriber, nbio's way:
// its writes never block, they queue in the connection.
func startNbio(addr string, c *stats.Counters) (server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	logging.SetLevel(logging.LevelError)
	var mu sync.RWMutex
	subs := make(map[*nbws.Conn]struct{})
	sub := nbws.NewUpgrader()
	sub.CheckOrigin = func(*http.Request) bool { return true }
	sub.OnOpen(func(conn *nbws.Conn) {
		c.Open()
		mu.Lock()
		subs[conn] = struct{}{}
		mu.Unlock()
	})
	sub.OnClose(func(conn *nbws.Conn, _ error) {
		c.Closed()
		mu.Lock()
		delete(subs, conn)
		mu.Unlock()
	})
	pub := nbws.NewUpgrader()
	pub.CheckOrigin = sub.CheckOrigin
	pub.OnMessage(func(_ *nbws.Conn, mt nbws.MessageType, data []byte) {
		c.Message()
		mu.RLock()
		for conn := range subs {
			_ = conn.WriteMessage(mt, data)
		}
		mu.RUnlock()
	})
	mux := http.NewServeMux()
	mux.HandleFunc("/sub", func(w http.ResponseWriter, r *http.Request) { _, _ = sub.Upgrade(w, r, nil) })
	mux.HandleFunc("/pub", func(w http.ResponseWriter, r *http.Request) { _, _ = pub.Upgrade(w, r, nil) })
	eng := nbhttp.NewEngine(nbhttp.Config{
		Network:                 "tcp",
		Addrs:                   []string{ln.Addr().String()},
		Listen:                  func(string, string) (net.Listener, error) { return ln, nil },
		IOMod:                   nbhttp.IOModNonBlocking,
		MaxLoad:                 1 << 20,
		ReleaseWebsocketPayload: true,
		Handler:                 mux,
	})
	if err := eng.Start(); err != nil {
		ln.Close()
		return nil, err
	}
	return &netServer{ln: ln, close: func() error { eng.Stop(); return nil }}, nil
}

var _ = context.Background
