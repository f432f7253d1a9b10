package session_test

import (
	"context"
	"fmt"
	"time"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/mask"
	"github.com/surgews/surge/session"
)

// conn is the smallest Driver: it keeps what the session writes. A real one
// (package engine) moves the bytes to a socket.
type conn struct {
	out    []byte
	closed bool
}

func (c *conn) Write(b []byte) (int, error) { c.out = append(c.out, b...); return len(b), nil }
func (c *conn) WantWrite()                  {}
func (c *conn) PauseRead(bool)              {}
func (c *conn) SetTimer(time.Duration)      {}
func (c *conn) CloseTransport()             { c.closed = true }

// fromClient encodes a frame the way a browser sends it: masked.
func fromClient(op frame.Opcode, payload []byte) []byte {
	h := frame.Header{Fin: true, Op: op, Length: int64(len(payload)), Masked: true, Key: [4]byte{1, 2, 3, 4}}
	b := frame.AppendHeader(nil, &h)
	n := len(b)
	b = append(b, payload...)
	mask.XOR(b[n:], h.Key, 0)
	return b
}

// A channel-style session: with no Handler in the Config, received messages
// arrive on Incoming, the way Ktor's incoming channel works.
func ExampleSession_Incoming() {
	c := &conn{}
	cfg := &session.Config{} // no Handler: channel style
	s := session.New(cfg, session.RoleServer, c, &session.Request{Path: "/chat"})
	s.Start()

	// The driver feeds what it read from the socket.
	_ = s.Feed(fromClient(frame.OpText, []byte("hello")))

	f := <-s.Incoming()
	fmt.Println(f.Text())
	_ = s.Send(context.Background(), f) // echo; Send takes ownership of f
	fmt.Printf("wrote % x\n", c.out)
	// Output:
	// hello
	// wrote 81 05 68 65 6c 6c 6f
}

// greeter handles events; NopHandler supplies the ones it does not need.
type greeter struct{ session.NopHandler }

func (greeter) OnMessage(s *session.Session, f session.Frame) {
	fmt.Printf("%s: %s\n", s.Request().Path, f.Payload)
}

func (greeter) OnClose(_ *session.Session, r session.CloseReason) {
	fmt.Println("closed:", uint16(r.Code), r.Message)
}

// An event-style session: no goroutine per connection, the handler runs
// when a message is complete.
func ExampleHandler() {
	c := &conn{}
	cfg := &session.Config{Handler: greeter{}}
	s := session.New(cfg, session.RoleServer, c, &session.Request{Path: "/chat"})
	s.Start()

	in := fromClient(frame.OpText, []byte("hi"))
	in = append(in, fromClient(frame.OpClose, frame.AppendClose(nil, frame.CloseNormal, "bye"))...)
	_ = s.Feed(in)
	// The session echoed the close and asked to close the transport; the
	// driver reports back once it is gone.
	if c.closed {
		s.Closed(nil)
	}
	// Output:
	// /chat: hi
	// closed: 1000 bye
}

// Frames built from strings are pooled; Release gives the buffer back. A close
// frame carries a CloseReason.
func ExampleFrame() {
	f := session.Text("ping?")
	fmt.Println(f.Op, f.Fin, f.Text())
	f.Release()

	c := session.Close(session.CloseReason{Code: frame.CloseGoingAway, Message: "restart"})
	r := c.CloseReason()
	fmt.Println(uint16(r.Code), r.Message)
	c.Release()
	// Output:
	// text true ping?
	// 1001 restart
}

// Close starts the closing handshake: the close frame goes out at once and
// the transport is closed when the peer answers.
func ExampleSession_Close() {
	c := &conn{}
	s := session.New(&session.Config{Handler: session.NopHandler{}}, session.RoleServer, c, nil)
	s.Start()

	_ = s.Close(session.CloseReason{Code: frame.CloseNormal, Message: "done"})
	fmt.Printf("wrote % x\n", c.out)
	fmt.Println("transport closed:", c.closed)

	_ = s.Feed(fromClient(frame.OpClose, frame.AppendClose(nil, frame.CloseNormal, "")))
	fmt.Println("transport closed:", c.closed)
	s.Closed(nil)
	r := s.CloseReason()
	fmt.Println(uint16(r.Code), r.Message, s.Err())
	// Output:
	// wrote 88 06 03 e8 64 6f 6e 65
	// transport closed: false
	// transport closed: true
	// 1000 done <nil>
}
