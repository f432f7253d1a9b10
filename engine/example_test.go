package engine_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/session"
)

// shout is an event-style handler: it answers each text message in upper
// case, on the event loop, without a goroutine per session.
type shout struct{ session.NopHandler }

func (shout) OnMessage(s *session.Session, f session.Frame) {
	// f is valid until OnMessage returns; the reply is a new frame.
	_ = s.Send(context.Background(), session.Text(strings.ToUpper(f.Text())))
}

// exampleRoundTrip sends msg on a new client session to url, prints the
// reply, and closes the session.
func exampleRoundTrip(url, msg string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := engine.Dial(ctx, url, nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Send(ctx, session.Text(msg)); err != nil {
		log.Fatal(err)
	}
	f := <-c.Incoming()
	fmt.Println(f.Text())
	f.Release()
	_ = c.Close(session.CloseReason{Code: 1000})
	<-c.Done()
}

func ExampleServer_Handle() {
	srv := engine.New(engine.Config{})
	srv.Handle("/shout", shout{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	exampleRoundTrip("ws://"+srv.Addr().String()+"/shout", "hello")
	// Output:
	// HELLO
}

func ExampleServer_HandleFunc() {
	srv := engine.New(engine.Config{})
	// Channel style: the function runs on a goroutine of its own per session,
	// like Ktor's webSocket { } block; the session closes when it returns.
	srv.HandleFunc("/echo", func(s *session.Session) {
		for f := range s.Incoming() {
			_ = s.Send(context.Background(), f) // Send takes f over: no copy
		}
	})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	exampleRoundTrip("ws://"+srv.Addr().String()+"/echo", "echo, echo")
	// Output:
	// echo, echo
}

func ExampleServer_ServeHTTP() {
	srv := engine.New(engine.Config{})
	srv.Handle("/ws", shout{})
	defer srv.Close()

	// The WebSocket endpoint lives next to ordinary handlers; an upgraded
	// connection leaves net/http for an event loop.
	mux := http.NewServeMux()
	mux.Handle("/ws", srv)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "plain HTTP") })
	ts := httptest.NewServer(mux)
	defer ts.Close()

	exampleRoundTrip("ws"+strings.TrimPrefix(ts.URL, "http")+"/ws", "via net/http")
	// Output:
	// VIA NET/HTTP
}

func ExampleDial() {
	srv := engine.New(engine.Config{Subprotocols: []string{"chat.v2", "chat.v1"}})
	srv.HandleFunc("/", func(s *session.Session) {
		_ = s.Send(context.Background(), session.Text("welcome, "+s.Request().RawQuery))
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
	fmt.Println("protocol:", c.Protocol())
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

func ExampleNewDialer() {
	srv := engine.New(engine.Config{})
	srv.Handle("/", shout{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	// A Dialer of its own, for example one per load generator.
	d, err := engine.NewDialer(1)
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
		_ = c.Send(ctx, session.Text(fmt.Sprint("client ", i)))
		f := <-c.Incoming()
		fmt.Println(f.Text())
		f.Release()
	}
	fmt.Println("open:", d.Conns())
	// Output:
	// CLIENT 0
	// CLIENT 1
	// CLIENT 2
	// open: 3
}

// A load generator's Dialer keeps its loop polling for a millisecond after
// each event, so that its paced senders' timers fire on time.
func ExampleNewDialerConfig() {
	srv := engine.New(engine.Config{})
	srv.Handle("/", shout{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	d, err := engine.NewDialerConfig(engine.Config{Loops: 1, BusyPoll: time.Millisecond})
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
		_ = c.Send(ctx, session.Text(fmt.Sprint("tick ", i)))
		f := <-c.Incoming()
		fmt.Println(f.Text())
		f.Release()
	}
	// Output:
	// TICK 0
	// TICK 1
	// TICK 2
}

func ExampleServer_Shutdown() {
	srv := engine.New(engine.Config{})
	srv.Handle("/", shout{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := engine.Dial(ctx, "ws://"+srv.Addr().String()+"/", nil)
	if err != nil {
		log.Fatal(err)
	}

	// Every session gets a close frame with 1001 (going away).
	if err := srv.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}
	<-c.Done()
	fmt.Println(c.CloseReason())
	// Output:
	// going away: server shutting down
}
