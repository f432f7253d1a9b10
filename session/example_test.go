package session_test

import (
	"context"
	"fmt"
	"time"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// CopyText makes a frame that owns a pooled copy of the string: Send takes
// it, and gives the buffer back to the pool once it is written. Release does
// the same for a frame that is not sent.
func ExampleCopyText() {
	f := session.CopyText("hello")
	fmt.Println(f.Op, f.Fin, f.Text())
	f.Release()
	// Output:
	// text true hello
}

// CopyBinary copies the bytes, so the caller may reuse its slice at once,
// and the frame may go through Outgoing, whose frames are sent later.
func ExampleCopyBinary() {
	buf := []byte{1, 2, 3}
	f := session.CopyBinary(buf)
	buf[0] = 9 // reuse the slice: the frame has its own copy
	fmt.Println(f.Op, f.Payload)
	f.Release()
	// Output:
	// binary [1 2 3]
}

// BorrowBinary makes a frame that borrows the caller's slice: nothing is
// copied until Send writes it, surge never modifies it, and the same frame
// may be sent any number of times, to one session or to many.
func ExampleBorrowBinary() {
	buf := []byte("tick 1")
	f := session.BorrowBinary(buf)
	buf[5] = '2' // the frame sees the caller's bytes
	fmt.Println(f.Op, string(f.Payload))
	// Output:
	// binary tick 2
}

// BorrowText is BorrowBinary for text: the bytes must be valid UTF-8, which
// surge does not check on the way out.
func ExampleBorrowText() {
	f := session.BorrowText([]byte(`{"ok":true}`))
	fmt.Println(f.Op, f.Fin, f.Text())
	// Output:
	// text true {"ok":true}
}

// A Frame literal borrows its Payload too: it is how an application sends
// a ping or a pong of its own, a fragment, or a close frame, whose payload
// frame.AppendClose builds (sending it is the same as Session.Close).
func ExampleFrame() {
	ping := session.Frame{Fin: true, Op: frame.OpPing, Payload: []byte("are you there?")}
	fmt.Println(ping.Op, ping.Fin, ping.Text())

	first := session.Frame{Op: frame.OpText, Payload: []byte("Hel")} // Fin false: more follows
	last := session.Frame{Fin: true, Op: frame.OpContinuation, Payload: []byte("lo")}
	fmt.Println(first.Op, first.Fin, last.Op, last.Fin)

	bye := session.Frame{Fin: true, Op: frame.OpClose, Payload: frame.AppendClose(nil, frame.CloseGoingAway, "restart")}
	code, reason, _ := frame.ParseClose(bye.Payload)
	fmt.Println(bye.Op, uint16(code), string(reason))
	// Output:
	// ping true are you there?
	// text false continuation true
	// close 1001 restart
}

// Clone gives a frame its own pooled copy: to keep a received frame after
// OnMessage returns, or to send one message to several sessions (each Send
// takes one clone).
func ExampleFrame_Clone() {
	buf := []byte("first")
	f := session.BorrowText(buf)
	kept := f.Clone()
	copy(buf, "reuse") // the borrowed frame changes with buf, the clone does not
	fmt.Println(f.Text(), kept.Text())
	kept.Release()
	// Output:
	// reuse first
}

// Release gives a pooled payload back and empties the frame. It is safe
// more than once, and on a copy of a frame already released or sent: the
// buffer goes back to the pool only once.
func ExampleFrame_Release() {
	f := session.CopyText("bye")
	g := f // a copy shares the buffer
	f.Release()
	g.Release() // does nothing more
	fmt.Println(f.Payload == nil, len(g.Payload))
	// Output:
	// true 0
}

// counter is an event-style handler: NopHandler supplies the events it does
// not need.
type counter struct {
	session.NopHandler
	n int
}

func (c *counter) OnMessage(_ *session.Session, f session.Frame) {
	c.n++
	fmt.Printf("message %d: %s\n", c.n, f.Payload)
}

func (c *counter) OnClose(_ *session.Session, r session.CloseReason) {
	fmt.Println("closed:", r)
}

// Embedding NopHandler makes a Handler of a type that implements only some
// events. The engine calls the handler (engine.Server.HandleEvents); here it
// is called directly, as a unit test of a handler would.
func ExampleNopHandler() {
	var h session.Handler = &counter{}
	h.OnOpen(nil) // NopHandler's: does nothing
	h.OnMessage(nil, session.BorrowText([]byte("hi")))
	h.OnMessage(nil, session.BorrowText([]byte("there")))
	h.OnClose(nil, session.CloseReason{Code: frame.CloseNormal, Reason: "bye"})
	// Output:
	// message 1: hi
	// message 2: there
	// closed: 1000 normal closure: bye
}

// A CloseReason reads as its code, the code's name and the reason. As an
// error (a *CloseReason, such as the one Session.Err returns for a peer's
// protocol violation) it carries the websocket prefix, and
// frame.CloseCodeOf finds its code in an error chain.
func ExampleCloseReason_String() {
	fmt.Println(session.CloseReason{Code: frame.CloseNormal, Reason: "bye"})
	fmt.Println(session.CloseReason{Code: frame.CloseAbnormal})

	var err error = &session.CloseReason{Code: frame.CloseGoingAway, Reason: "server shutting down"}
	code, _ := frame.CloseCodeOf(fmt.Errorf("read: %w", err))
	fmt.Println(err)
	fmt.Println(uint16(code))
	// Output:
	// 1000 normal closure: bye
	// 1006 abnormal closure
	// websocket: 1001 going away: server shutting down
	// 1001
}

// A Config is shared by the sessions of a server (engine.Config.Session) or
// of a dial (engine.DialOptions.Session); zero fields mean the documented
// defaults, and each session can change its own settings later.
func ExampleConfig() {
	cfg := session.Config{
		PingInterval:   30 * time.Second,
		Timeout:        10 * time.Second,
		MaxMessageSize: 1 << 20,
		Backpressure:   session.BackpressureDrop, // Send returns ErrBacklogFull
		Dispatch:       session.DispatchPool,     // handlers may block
	}
	fmt.Println(cfg.PingInterval, cfg.Timeout, cfg.MaxMessageSize)
	// Output:
	// 30s 10s 1048576
}

// The function a channel-style route runs for each session (Ktor's
// webSocket { } block, engine.Server.HandleSession): whole messages arrive on
// Incoming, and Send takes ownership of each, so this echo allocates
// nothing. When it returns, the session is closed normally.
func ExampleSession_Incoming() {
	echo := func(s *session.Session) {
		ctx := context.Background()
		for f := range s.Incoming() {
			if err := s.Send(ctx, f); err != nil {
				return
			}
		}
		fmt.Println("session ended:", s.CloseReason(), s.Err())
	}
	_ = echo // srv.HandleSession("/echo", echo)
}
