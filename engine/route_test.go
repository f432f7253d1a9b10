package engine_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/session"
)

// TestRouteProtocols: a route's own subprotocols (Ktor's webSocket(path,
// protocol)) are selected, required, and do not leak to other routes; a
// client that offers none of them gets 400, not a silent upgrade. Each
// case runs on the event loops, through ServeHTTP and through ServeConn.
func TestRouteProtocols(t *testing.T) {
	newSrv := func() *engine.Server {
		srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}, Subprotocols: []string{"server.v1"}})
		srv.Handle("/chat", engine.Route{Run: func(s *session.Session) {}, Protocols: []string{"chat.v2", "chat.v1"}})
		srv.HandleSession("/other", func(s *session.Session) {})
		return srv
	}
	cases := []struct {
		name    string
		path    string
		offer   []string
		want    string // selected subprotocol
		wantErr int    // HTTP status of the refusal
	}{
		{name: "route_prefers_its_first", path: "/chat", offer: []string{"chat.v1", "chat.v2"}, want: "chat.v2"},
		{name: "route_second", path: "/chat", offer: []string{"x", "chat.v1"}, want: "chat.v1"},
		{name: "route_none_offered", path: "/chat", offer: []string{"server.v1"}, wantErr: http.StatusBadRequest},
		{name: "route_nothing_offered", path: "/chat", wantErr: http.StatusBadRequest},
		{name: "other_route_server_list", path: "/other", offer: []string{"chat.v2", "server.v1"}, want: "server.v1"},
		{name: "other_route_optional", path: "/other", offer: []string{"chat.v2"}, want: ""},
	}
	for _, via := range []string{"loop", "http", "serveconn"} {
		addr := serveVia(t, newSrv(), via)
		for _, tc := range cases {
			t.Run(via+"/"+tc.name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), dialWait)
				defer cancel()
				c, err := engine.Dial(ctx, "ws://"+addr+tc.path, &engine.DialOptions{Protocols: tc.offer})
				if tc.wantErr != 0 {
					var he *engine.HandshakeError
					if !errors.As(err, &he) || he.StatusCode != tc.wantErr {
						if c != nil {
							c.Terminate()
						}
						t.Fatalf("Dial = %v, want a refusal with %d", err, tc.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				defer c.Terminate()
				if got := c.Request().Protocol; got != tc.want {
					t.Fatalf("selected %q, want %q", got, tc.want)
				}
			})
		}
	}
}

// serveVia serves srv on a loopback port through one of its three upgrade
// paths, "loop" (event loops), "http" (ServeHTTP under net/http) or
// "serveconn" (ServeConn on connections from a listener of the test's),
// and returns the address.
func serveVia(t *testing.T, srv *engine.Server, via string) string {
	t.Helper()
	switch via {
	case "loop":
		return startServer(t, srv)
	case "http":
		return strings.TrimPrefix(newHTTPServer(t, srv).URL, "http://")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close(); _ = srv.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go srv.ServeConn(nc)
		}
	}()
	return ln.Addr().String()
}

// TestHandleNeedsOneHandler: Handle refuses, loudly, a route with no
// handler or with both styles.
func TestHandleNeedsOneHandler(t *testing.T) {
	for _, r := range []engine.Route{{}, {Events: session.NopHandler{}, Run: func(*session.Session) {}}} {
		func() {
			defer func() {
				if p := recover(); p == nil || !strings.Contains(p.(string), "exactly one") {
					t.Errorf("Handle(%+v): panic %v, want one that says what is wrong", r, p)
				}
			}()
			engine.New(engine.Config{}).Handle("/", r)
		}()
	}
}

// TestRouteSession: Route.Session replaces the server's session settings
// for that route alone, including a pool dispatch on an inline server.
func TestRouteSession(t *testing.T) {
	srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}, Session: session.Config{MaxMessageSize: 1 << 20}})
	sizes := make(chan int64, 2)
	report := func(s *session.Session) { sizes <- s.MaxFrameSize() }
	srv.Handle("/small", engine.Route{Run: report, Session: &session.Config{MaxMessageSize: 100}})
	srv.HandleSession("/big", report)
	onPool := make(chan bool, 1)
	srv.Handle("/pool", engine.Route{Events: openHook(func(s *session.Session) { onPool <- true }), Session: &session.Config{Dispatch: session.DispatchPool}})
	addr := startServer(t, srv)
	for _, tc := range []struct {
		path string
		want int64
	}{{"/small", 100}, {"/big", 1 << 20}} {
		c := dialSession(t, "ws://"+addr+tc.path, nil)
		if got := <-sizes; got != tc.want {
			t.Errorf("%s: MaxFrameSize %d, want %d", tc.path, got, tc.want)
		}
		c.Terminate()
	}
	c := dialSession(t, "ws://"+addr+"/pool", nil)
	defer c.Terminate()
	if !<-onPool {
		t.Fatal("the pool route did not open")
	}
}

// openHook is an event handler that calls fn in OnOpen.
type openHook func(*session.Session)

func (h openHook) OnOpen(s *session.Session)                   { h(s) }
func (openHook) OnMessage(*session.Session, session.Frame)     {}
func (openHook) OnError(*session.Session, error)               {}
func (openHook) OnClose(*session.Session, session.CloseReason) {}

// TestRequestHeadersAnyPath: a handler reads any request header while it
// opens the session, on the event loops, through ServeHTTP (hijacked into a
// loop) and ServeConn, with no KeepHeaders; after OnOpen the session holds
// none of them.
func TestRequestHeadersAnyPath(t *testing.T) {
	for _, via := range []string{"loop", "http", "serveconn"} {
		t.Run(via, func(t *testing.T) {
			srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
			h := headerProbe{open: make(chan http.Header, 1), later: make(chan http.Header, 1)}
			srv.HandleEvents("/", h)
			addr := serveVia(t, srv, via)
			hdr := http.Header{}
			hdr.Set("User-Agent", "surge-test/2")
			hdr.Add("Cookie", "session=abc")
			hdr.Set("Authorization", "Bearer xyz")
			c := dialSession(t, "ws://"+addr+"/", &engine.DialOptions{Header: hdr})
			defer c.Terminate()
			open := <-h.open
			if open.Get("User-Agent") != "surge-test/2" || open.Get("Cookie") != "session=abc" ||
				open.Get("Authorization") != "Bearer xyz" || open.Get("Host") != addr {
				t.Fatalf("headers in OnOpen: %v", open)
			}
			// A message event runs only after OnOpen has returned; reading
			// the headers from a goroutine started in OnOpen could run
			// before it had (CI failed on that under -race).
			if err := c.Send(context.Background(), session.CopyText("after")); err != nil {
				t.Fatal(err)
			}
			if later := <-h.later; later != nil {
				t.Fatalf("after OnOpen the session keeps the headers: %v", later)
			}
		})
	}
}

// headerProbe reports the session's request headers in OnOpen and in its
// first OnMessage.
type headerProbe struct{ open, later chan http.Header }

func (h headerProbe) OnOpen(s *session.Session) { h.open <- s.Request().Header }
func (h headerProbe) OnMessage(s *session.Session, _ session.Frame) {
	select {
	case h.later <- s.Request().Header:
	default:
	}
}
func (headerProbe) OnError(*session.Session, error)               {}
func (headerProbe) OnClose(*session.Session, session.CloseReason) {}

// TestOutgoingWriterFreed: a channel-style handler that keeps writing to
// Outgoing after its peer left (a natural port of Ktor's outgoing.send) is
// not stuck: its writes stop blocking once the session has ended, and
// Shutdown ends it.
func TestOutgoingWriterFreed(t *testing.T) {
	for _, how := range []string{"peer_left", "shutdown"} {
		t.Run(how, func(t *testing.T) {
			srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
			opened := make(chan struct{})
			finished := make(chan int, 1)
			srv.HandleSession("/", func(s *session.Session) {
				out := s.Outgoing()
				close(opened)
				<-s.Done() // the session has ended; the handler does not notice and writes on
				n := 0
				for ; n < 10000; n++ {
					out <- session.CopyText("are you still there?")
				}
				finished <- n
			})
			addr := startServer(t, srv)
			c := dialSession(t, "ws://"+addr+"/", nil)
			<-opened
			if how == "peer_left" {
				c.Terminate()
			} else {
				ctx, cancel := context.WithTimeout(context.Background(), dialWait)
				defer cancel()
				if err := srv.Shutdown(ctx); err != nil {
					t.Fatalf("Shutdown = %v", err)
				}
			}
			select {
			case n := <-finished:
				if n != 10000 {
					t.Fatalf("wrote %d", n)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the handler is stuck writing to Outgoing after its session ended")
			}
		})
	}
}
