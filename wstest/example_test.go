package wstest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
	"github.com/surgews/surge/wstest"
)

// exampleT stands in for the *testing.T a real test passes: an Example has
// none. It prints failures and runs cleanups when done. testing.TB has
// unexported methods, so exampleT embeds it (nil) and overrides the methods
// wstest calls: Helper, Cleanup, Errorf and Fatalf.
type exampleT struct {
	testing.TB
	cleanups []func()
}

func (*exampleT) Helper()                           {}
func (e *exampleT) Cleanup(fn func())               { e.cleanups = append(e.cleanups, fn) }
func (*exampleT) Errorf(format string, args ...any) { fmt.Printf("FAIL: "+format+"\n", args...) }
func (*exampleT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

func (e *exampleT) done() {
	for i := len(e.cleanups) - 1; i >= 0; i-- {
		e.cleanups[i]()
	}
}

func ExampleConversation() {
	t := &exampleT{} // in a test: the *testing.T
	defer t.done()

	srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
	srv.HandleSession("/echo", func(s *session.Session) {
		for f := range s.Incoming() {
			_ = s.Send(context.Background(), f)
		}
	})

	wstest.Conversation(t, srv, "/echo", func(in <-chan session.Frame, out chan<- session.Frame) {
		for _, msg := range []string{"HELLO", "WORLD"} {
			out <- session.CopyText(msg)
			fmt.Println(wstest.ReadText(t, in))
		}
	})
	// Output:
	// HELLO
	// WORLD
}

func ExampleClient_Conversation() {
	t := &exampleT{}
	defer t.done()

	srv := engine.New(engine.Config{Subprotocols: []string{"upper.v1"}})
	srv.HandleEvents("/", inlineEcho{})

	// The portable driver over a net.Pipe: no socket, no event loop.
	cl := wstest.Client{Portable: true, Options: &engine.DialOptions{Protocols: []string{"upper.v1"}}}
	cl.Conversation(t, srv, "/", func(in <-chan session.Frame, out chan<- session.Frame) {
		out <- session.BorrowBinary([]byte{1, 2, 3})
		f := wstest.ReadFrame(t, in)
		fmt.Println(f.Op, f.Payload)
		f.Release()
	})
	// Output:
	// binary [1 2 3]
}

func ExampleClient_Dial_zero() {
	t := &exampleT{}
	defer t.done()

	srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
	srv.HandleSession("/once", func(s *session.Session) {
		f := <-s.Incoming()
		fmt.Println("server got:", f.Text())
		f.Release()
		_ = s.Close(session.CloseReason{Code: 4001, Reason: "one is enough"})
	})

	c := wstest.Client{}.Dial(t, srv, "/once")
	c.Outgoing() <- session.CopyText("first")
	fmt.Println("client closed with:", wstest.WaitClosed(t, c).Reason)
	// Output:
	// server got: first
	// client closed with: one is enough
}

func ExampleReadFrame() {
	t := &exampleT{}
	defer t.done()

	srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
	srv.HandleEvents("/", inlineEcho{})
	wstest.Conversation(t, srv, "/", func(in <-chan session.Frame, out chan<- session.Frame) {
		out <- session.CopyText("frame")
		f := wstest.ReadFrame(t, in)
		defer f.Release()
		fmt.Println(f.Op, f.Fin, string(f.Payload))
	})
	// Output:
	// text true frame
}

func ExampleClient_Dial() {
	t := &exampleT{}
	defer t.done()

	f := deflate.New(deflate.Config{})
	srv := engine.New(engine.Config{Extensions: []extension.Factory{f}})
	srv.HandleEvents("/", inlineEcho{})

	// A portable client that offers permessage-deflate.
	cl := wstest.Client{Portable: true, Options: &engine.DialOptions{Extensions: []extension.Factory{f}}}
	c := cl.Dial(t, srv, "/")
	fmt.Println("negotiated:", c.Request().Extensions[0].Name())
	_ = c.Close(session.CloseReason{Code: frame.CloseNormal, Reason: "done"})
	fmt.Println("closed with:", wstest.WaitClosed(t, c))
	// Output:
	// negotiated: permessage-deflate
	// closed with: 1000 normal closure: done
}
