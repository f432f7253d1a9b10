package engine_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// shout is an event-style handler: it answers each text message in upper
// case, on the event loop, without a goroutine per session.
type shout struct{ session.NopHandler }

func (shout) OnMessage(s *session.Session, f session.Frame) {
	// f is valid until OnMessage returns; the reply is a new frame.
	_ = s.Send(context.Background(), session.CopyText(strings.ToUpper(f.Text())))
}

// exampleRoundTrip sends msg on a new client session to url, prints the
// reply, and closes the session.
func exampleRoundTrip(url, msg string, opts *engine.DialOptions) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := engine.Dial(ctx, url, opts)
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Send(ctx, session.CopyText(msg)); err != nil {
		log.Fatal(err)
	}
	f := <-c.Incoming()
	fmt.Println(f.Text())
	f.Release()
	_ = c.Close(session.CloseReason{Code: frame.CloseNormal})
	<-c.Done()
}

// A Config composes the settings of the server's sessions, of its event
// loops and of its handshakes; zero fields take their documented defaults.
func ExampleNew() {
	srv := engine.New(engine.Config{
		Session: session.Config{
			PingInterval:   30 * time.Second,
			MaxMessageSize: 1 << 20,
			Dispatch:       session.DispatchPool, // event handlers on the worker pool
		},
		Reactor:      engine.ReactorConfig{Loops: 2, Workers: 4},
		Subprotocols: []string{"shout.v1"},
	})
	srv.HandleEvents("/shout", shout{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	exampleRoundTrip("ws://"+srv.Addr().String()+"/shout", "configured", nil)
	// Output:
	// CONFIGURED
}

func ExampleServer_HandleEvents() {
	srv := engine.New(engine.Config{})
	// Event style: shout's methods run on the event loop, with no goroutine
	// per session.
	srv.HandleEvents("/shout", shout{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	exampleRoundTrip("ws://"+srv.Addr().String()+"/shout", "hello", nil)
	// Output:
	// HELLO
}

func ExampleServer_HandleSession() {
	srv := engine.New(engine.Config{})
	// Channel style: the function runs on a goroutine of its own per session,
	// like Ktor's webSocket { } block; the session closes when it returns.
	srv.HandleSession("/echo", func(s *session.Session) {
		for f := range s.Incoming() {
			_ = s.Send(context.Background(), f) // Send takes f over: no copy
		}
	})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	exampleRoundTrip("ws://"+srv.Addr().String()+"/echo", "echo, echo", nil)
	// Output:
	// echo, echo
}

func ExampleServer_ServeHTTP() {
	srv := engine.New(engine.Config{})
	srv.HandleEvents("/ws", shout{})
	defer srv.Close()

	// The WebSocket endpoint lives next to ordinary handlers; an upgraded
	// connection leaves net/http for an event loop.
	mux := http.NewServeMux()
	mux.Handle("/ws", srv)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "plain HTTP") })
	ts := httptest.NewServer(mux)
	defer ts.Close()

	exampleRoundTrip("ws"+strings.TrimPrefix(ts.URL, "http")+"/ws", "via net/http", nil)

	// A request that is not an upgrade is refused by the Server itself.
	resp, err := http.Get(ts.URL + "/ws")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	// Output:
	// VIA NET/HTTP
	// 400 Bad Request
}

func ExampleServer_Start() {
	srv := engine.New(engine.Config{})
	srv.HandleEvents("/", shout{})
	// Port 0 picks a free port; Addr tells which once Start has returned.
	if err := srv.Start("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	addr := srv.Addr().(*net.TCPAddr)
	fmt.Println(addr.IP, addr.Port != 0)

	exampleRoundTrip("ws://"+addr.String()+"/", "started", nil)
	// Output:
	// 127.0.0.1 true
	// STARTED
}

func ExampleServer_Shutdown() {
	srv := engine.New(engine.Config{})
	srv.HandleEvents("/", shout{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := engine.Dial(ctx, "ws://"+srv.Addr().String()+"/", nil)
	if err != nil {
		log.Fatal(err)
	}

	// Every session gets a close frame with 1001 (going away); Shutdown
	// returns once the closing handshakes are done.
	if err := srv.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}
	<-c.Done()
	fmt.Println(c.CloseReason())
	fmt.Println("open:", srv.Stats().Conns)
	// Output:
	// 1001 going away: server shutting down
	// open: 0
}

// ServeConn serves a connection the caller accepted itself; here one end of
// a net.Pipe, whose other end the client gets through DialOptions.NetDial.
func ExampleServer_ServeConn() {
	srv := engine.New(engine.Config{})
	srv.HandleEvents("/", shout{})
	defer srv.Close()

	exampleRoundTrip("ws://pipe.invalid/", "over a pipe", &engine.DialOptions{
		NetDial: func(context.Context, string, string) (net.Conn, error) {
			client, server := net.Pipe()
			go srv.ServeConn(server)
			return client, nil
		},
	})
	// Output:
	// OVER A PIPE
}

func ExampleDial() {
	srv := engine.New(engine.Config{Subprotocols: []string{"chat.v2", "chat.v1"}})
	srv.HandleSession("/", func(s *session.Session) {
		_ = s.Send(context.Background(), session.CopyText("welcome, "+s.Request().RawQuery))
	})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := engine.Dial(ctx, "ws://"+srv.Addr().String()+"/chat?name=ada", &engine.DialOptions{
		Protocols: []string{"chat.v1", "chat.v2"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("protocol:", c.Request().Protocol)
	for f := range c.Incoming() { // ends when the server closes
		fmt.Println(f.Text())
		f.Release()
	}
	fmt.Println("closed:", c.CloseReason().Code)
	// Output:
	// protocol: chat.v2
	// welcome, name=ada
	// closed: normal closure
}

// printer is an event-style client handler.
type printer struct {
	session.NopHandler
	done chan struct{}
}

func (p printer) OnOpen(s *session.Session) {
	_ = s.Send(context.Background(), session.CopyText("hello"))
}

func (p printer) OnMessage(s *session.Session, f session.Frame) {
	fmt.Println("message:", f.Text())
	_ = s.Close(session.CloseReason{Code: frame.CloseNormal, Reason: "thanks"})
}

func (p printer) OnClose(_ *session.Session, r session.CloseReason) {
	fmt.Println("closed:", r)
	close(p.done)
}

// With a Handler, Dial makes an event-style client session: its events run
// on the Dialer's event loop, with no goroutine of its own.
func ExampleDialOptions_handler() {
	srv := engine.New(engine.Config{})
	srv.HandleEvents("/", shout{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h := printer{done: make(chan struct{})}
	if _, err := engine.Dial(ctx, "ws://"+srv.Addr().String()+"/", &engine.DialOptions{Handler: h}); err != nil {
		log.Fatal(err)
	}
	<-h.done
	// Output:
	// message: HELLO
	// closed: 1000 normal closure: thanks
}

func ExampleHandshakeError() {
	srv := engine.New(engine.Config{})
	srv.HandleEvents("/chat", shout{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := engine.Dial(ctx, "ws://"+srv.Addr().String()+"/elsewhere", nil)
	var he *engine.HandshakeError
	if errors.As(err, &he) {
		fmt.Println("refused with", he.StatusCode)
	}
	// Output:
	// refused with 404
}

func ExampleNewDialer() {
	srv := engine.New(engine.Config{})
	srv.HandleEvents("/", shout{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	// A Dialer of its own, for example one per load generator.
	d, err := engine.NewDialer(engine.ReactorConfig{Loops: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := range 3 {
		c, err := engine.Dial(ctx, "ws://"+srv.Addr().String()+"/", &engine.DialOptions{Dialer: d})
		if err != nil {
			log.Fatal(err)
		}
		_ = c.Send(ctx, session.CopyText(fmt.Sprint("client ", i)))
		f := <-c.Incoming()
		fmt.Println(f.Text())
		f.Release()
	}
	fmt.Println("open:", d.Stats().Conns)
	// Output:
	// CLIENT 0
	// CLIENT 1
	// CLIENT 2
	// open: 3
}

// A load generator's Dialer keeps its loop polling for a millisecond after
// each event, so that its paced senders' timers fire on time.
func ExampleNewDialer_busyPoll() {
	srv := engine.New(engine.Config{})
	srv.HandleEvents("/", shout{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	d, err := engine.NewDialer(engine.ReactorConfig{Loops: 1, BusyPoll: time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := engine.Dial(ctx, "ws://"+srv.Addr().String()+"/", &engine.DialOptions{Dialer: d})
	if err != nil {
		log.Fatal(err)
	}
	tick := time.NewTicker(200 * time.Microsecond)
	defer tick.Stop()
	for i := range 3 {
		<-tick.C
		_ = c.Send(ctx, session.CopyText(fmt.Sprint("tick ", i)))
		f := <-c.Incoming()
		fmt.Println(f.Text())
		f.Release()
	}
	// Output:
	// TICK 0
	// TICK 1
	// TICK 2
}

// Handle serves a route with settings of its own: here a subprotocol that
// clients must offer (Ktor's webSocket("/chat", protocol = "chat.v1")) and a
// smaller message limit than the rest of the server. A client that offers
// none of the route's protocols is answered 400 and not upgraded.
func ExampleServer_Handle() {
	srv := engine.New(engine.Config{})
	srv.Handle("/chat", engine.Route{
		Protocols: []string{"chat.v1"},
		Session:   &session.Config{MaxMessageSize: 64 << 10},
		Run: func(s *session.Session) {
			_ = s.SendText(context.Background(), "speaking "+s.Request().Protocol)
		},
	})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := "ws://" + srv.Addr().String() + "/chat"
	_, err := engine.Dial(ctx, url, nil) // offers no subprotocol
	var refused *engine.HandshakeError
	if errors.As(err, &refused) {
		fmt.Println("without:", refused.StatusCode)
	}
	c, err := engine.Dial(ctx, url, &engine.DialOptions{Protocols: []string{"chat.v1"}})
	if err != nil {
		log.Fatal(err)
	}
	f := <-c.Incoming()
	fmt.Println("with:", f.Text())
	f.Release()
	<-c.Done()
	// Output:
	// without: 400
	// with: speaking chat.v1
}

// A handler reads any request header while it opens the session (in OnOpen,
// or in a channel-style function): a token, a cookie, the User-Agent, with
// nothing listed in advance. Idle sessions keep none of them afterwards.
func ExampleServer_HandleSession_headers() {
	srv := engine.New(engine.Config{})
	srv.HandleSession("/", func(s *session.Session) {
		h := s.Request().Header
		_ = s.SendText(context.Background(), h.Get("Authorization")+" from "+h.Get("User-Agent"))
	})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	h := http.Header{}
	h.Set("Authorization", "Bearer s3cret")
	h.Set("User-Agent", "example/1.0")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := engine.Dial(ctx, "ws://"+srv.Addr().String()+"/", &engine.DialOptions{Header: h})
	if err != nil {
		log.Fatal(err)
	}
	f := <-c.Incoming()
	fmt.Println(f.Text())
	f.Release()
	<-c.Done()
	// Output:
	// Bearer s3cret from example/1.0
}
