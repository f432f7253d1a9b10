package session_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// serveExample starts a server on a loopback port with route at "/" and
// dials it with cfg; the caller closes both.
func serveExample(route engine.Route, cfg session.Config) (*engine.Server, *session.Session) {
	srv := engine.New(engine.Config{})
	srv.Handle("/", route)
	if err := srv.Start("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := engine.Dial(ctx, "ws://"+srv.Addr().String()+"/", &engine.DialOptions{Session: cfg})
	if err != nil {
		log.Fatal(err)
	}
	return srv, c
}

type order struct {
	Item  string `json:"item"`
	Count int    `json:"count"`
}

// SendValue and Receive are Ktor's sendSerialized and receiveDeserialized:
// values go out encoded by the session's Codec (JSON in text frames unless
// Config.Codec says otherwise) and come back decoded.
func ExampleSession_SendValue() {
	srv, c := serveExample(engine.Route{Run: func(s *session.Session) {
		ctx := context.Background()
		var o order
		for s.Receive(ctx, &o) == nil { // io.EOF once the client has closed
			o.Count *= 2
			_ = s.SendValue(ctx, o)
		}
	}}, session.Config{})
	defer srv.Close()

	ctx := context.Background()
	_ = c.SendValue(ctx, order{Item: "tea", Count: 2})
	var reply order
	if err := c.Receive(ctx, &reply); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", reply)
	_ = c.Close(session.CloseReason{Code: frame.CloseNormal})
	<-c.Done()
	// Output:
	// {Item:tea Count:4}
}

// doubler decodes each message in OnMessage: Decode is the event-style half
// of receiveDeserialized.
type doubler struct{ session.NopHandler }

func (doubler) OnMessage(s *session.Session, f session.Frame) {
	var o order
	if err := s.Decode(f, &o); err != nil {
		_ = s.Close(session.CloseReason{Code: frame.CloseUnsupportedData, Reason: "not an order"})
		return
	}
	o.Count *= 2
	_ = s.SendValue(context.Background(), o)
}

func ExampleSession_Decode() {
	srv, c := serveExample(engine.Route{Events: doubler{}}, session.Config{})
	defer srv.Close()

	ctx := context.Background()
	_ = c.SendValue(ctx, order{Item: "scones", Count: 6})
	var reply order
	_ = c.Receive(ctx, &reply)
	fmt.Printf("%+v\n", reply)
	_ = c.SendText(ctx, "not json")
	<-c.Done()
	fmt.Println(c.CloseReason())
	// Output:
	// {Item:scones Count:12}
	// 1003 unsupported data: not an order
}

// SendText sends a string as one text message without copying it first
// (Ktor's send(String)); bytes go in one call as Send(ctx, BorrowBinary(p)).
func ExampleSession_SendText() {
	srv, c := serveExample(engine.Route{Run: func(s *session.Session) {
		for f := range s.Incoming() {
			_ = s.SendText(context.Background(), "you said: "+f.Text())
			f.Release()
		}
	}}, session.Config{})
	defer srv.Close()

	ctx := context.Background()
	_ = c.SendText(ctx, "hi")
	_ = c.Send(ctx, session.BorrowBinary([]byte("bytes")))
	for range 2 {
		f := <-c.Incoming()
		fmt.Println(f.Text())
		f.Release()
	}
	_ = c.Close(session.CloseReason{Code: frame.CloseNormal})
	<-c.Done()
	// Output:
	// you said: hi
	// you said: bytes
}

// With Fragments, a message is delivered frame by frame as it arrives
// (Ktor's frames with fin=false), so a very large one is never held whole:
// the first frame has the message's opcode, the rest are continuations, and
// the last has Fin.
func ExampleConfig_fragments() {
	got := make(chan string, 8)
	srv, c := serveExample(engine.Route{Run: func(s *session.Session) {
		for f := range s.Incoming() {
			got <- fmt.Sprintf("%v fin=%v %q", f.Op, f.Fin, f.Payload)
			f.Release()
		}
	}, Session: &session.Config{Fragments: true}}, session.Config{})
	defer srv.Close()

	ctx := context.Background()
	for _, f := range []session.Frame{
		{Op: frame.OpText, Payload: []byte("stream ")},
		{Op: frame.OpContinuation, Payload: []byte("of ")},
		{Fin: true, Op: frame.OpContinuation, Payload: []byte("text")},
	} {
		_ = c.Send(ctx, f)
	}
	for range 3 {
		fmt.Println(<-got)
	}
	_ = c.Close(session.CloseReason{Code: frame.CloseNormal})
	<-c.Done()
	// Output:
	// text fin=false "stream "
	// continuation fin=false "of "
	// continuation fin=true "text"
}

// OnControl shows the pings and pongs a peer sends (surge has already
// answered a ping): here the server measures a round trip with a ping of
// its own that carries the time it was sent.
func ExampleConfig_onControl() {
	rtt := make(chan bool, 1)
	cfg := &session.Config{OnControl: func(s *session.Session, f session.Frame) {
		if f.Op == frame.OpPong {
			sent, err := time.Parse(time.RFC3339Nano, string(f.Payload))
			rtt <- err == nil && time.Since(sent) >= 0
		}
	}}
	srv, c := serveExample(engine.Route{Session: cfg, Run: func(s *session.Session) {
		stamp := []byte(time.Now().Format(time.RFC3339Nano))
		_ = s.Send(context.Background(), session.Frame{Fin: true, Op: frame.OpPing, Payload: stamp})
		<-s.Done()
	}}, session.Config{})
	defer srv.Close()

	fmt.Println("round trip measured:", <-rtt)
	_ = c.Close(session.CloseReason{Code: frame.CloseNormal})
	<-c.Done()
	// Output:
	// round trip measured: true
}
