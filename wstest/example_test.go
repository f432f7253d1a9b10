package wstest_test

import (
	"context"
	"fmt"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/session"
	"github.com/surgews/surge/wstest"
)

// exampleT stands in for the *testing.T a real test passes: an Example has
// none. It prints failures and runs cleanups when done.
type exampleT struct{ cleanups []func() }

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

	srv := engine.New(engine.Config{Loops: 1})
	srv.HandleFunc("/echo", func(s *session.Session) {
		for f := range s.Incoming() {
			_ = s.Send(context.Background(), f)
		}
	})

	wstest.Conversation(t, srv, "/echo", func(in <-chan session.Frame, out chan<- session.Frame) {
		for _, msg := range []string{"HELLO", "WORLD"} {
			out <- session.Text(msg)
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
	srv.Handle("/", inlineEcho{})

	// The portable driver over a net.Pipe: no socket, no event loop.
	cl := wstest.Client{Portable: true, Options: &engine.DialOptions{Protocols: []string{"upper.v1"}}}
	cl.Conversation(t, srv, "/", func(in <-chan session.Frame, out chan<- session.Frame) {
		out <- session.Binary([]byte{1, 2, 3})
		fmt.Println(wstest.ReadBinary(t, in))
	})
	// Output:
	// [1 2 3]
}

func ExampleDial() {
	t := &exampleT{}
	defer t.done()

	srv := engine.New(engine.Config{Loops: 1})
	srv.HandleFunc("/once", func(s *session.Session) {
		f := <-s.Incoming()
		fmt.Println("server got:", f.Text())
		f.Release()
		_ = s.Close(session.CloseReason{Code: 4001, Message: "one is enough"})
	})

	c := wstest.Dial(t, srv, "/once")
	c.Outgoing() <- session.Text("first")
	fmt.Println("client closed with:", wstest.WaitClosed(t, c).Message)
	// Output:
	// server got: first
	// client closed with: one is enough
}

func ExampleReadFrame() {
	t := &exampleT{}
	defer t.done()

	srv := engine.New(engine.Config{Loops: 1})
	srv.Handle("/", inlineEcho{})
	wstest.Conversation(t, srv, "/", func(in <-chan session.Frame, out chan<- session.Frame) {
		out <- session.Text("frame")
		f := wstest.ReadFrame(t, in)
		defer f.Release()
		fmt.Println(f.Op, f.Fin, string(f.Payload))
	})
	// Output:
	// text true frame
}
