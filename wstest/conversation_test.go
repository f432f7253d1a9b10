package wstest_test

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
	"github.com/surgews/surge/wstest"
)

// modes are the two ways wstest reaches a server; every conversation test
// runs in both.
var modes = []struct {
	name   string
	client wstest.Client
}{
	{name: "loopback", client: wstest.Client{}},
	{name: "portable", client: wstest.Client{Portable: true}},
}

// TestEchoConversation is the test of Ktor's "Testing" section, in Go.
func TestEchoConversation(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			var mu sync.Mutex
			var received []string
			srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
			srv.HandleSession("/echo", func(s *session.Session) {
				for f := range s.Incoming() {
					mu.Lock()
					received = append(received, f.Text())
					mu.Unlock()
					_ = s.Send(context.Background(), f)
				}
			})

			m.client.Conversation(t, srv, "/echo", func(in <-chan session.Frame, out chan<- session.Frame) {
				textMessages := []string{"HELLO", "WORLD"}
				for _, msg := range textMessages {
					out <- session.CopyText(msg)
					if got := wstest.ReadText(t, in); got != msg {
						t.Errorf("echo: got %q, want %q", got, msg)
					}
				}
				mu.Lock()
				defer mu.Unlock()
				if !slices.Equal(received, textMessages) {
					t.Errorf("server received %q, want %q", received, textMessages)
				}
			})
		})
	}
}

// TestCloseReasonConversation checks that the server's close code and message
// reach the client, and the client's reach the server.
func TestCloseReasonConversation(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name+"/server_closes", func(t *testing.T) {
			srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
			srv.HandleSession("/bye", func(s *session.Session) {
				f := <-s.Incoming()
				f.Release()
				_ = s.Close(session.CloseReason{Code: 4000, Reason: "bye now"})
			})
			c := m.client.Dial(t, srv, "/bye")
			c.Outgoing() <- session.CopyText("hello")
			want := session.CloseReason{Code: 4000, Reason: "bye now"}
			if got := wstest.WaitClosed(t, c); got != want {
				t.Errorf("client close reason %v, want %v (err %v)", got, want, c.Err())
			}
			if err := c.Err(); err != nil {
				t.Errorf("clean closing handshake, yet Err() = %v", err)
			}
		})
		t.Run(m.name+"/client_closes", func(t *testing.T) {
			reasons := make(chan session.CloseReason, 1)
			srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
			srv.HandleSession("/", func(s *session.Session) {
				for f := range s.Incoming() {
					f.Release()
				}
				reasons <- s.CloseReason()
			})
			c := m.client.Dial(t, srv, "/anything")
			want := session.CloseReason{Code: frame.CloseGoingAway, Reason: "leaving"}
			if err := c.Close(want); err != nil {
				t.Fatal(err)
			}
			if got := wstest.WaitClosed(t, c); got != want {
				t.Errorf("client close reason %v, want %v", got, want)
			}
			select {
			case got := <-reasons:
				if got != want {
					t.Errorf("server saw %v, want %v", got, want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("server handler did not end")
			}
		})
	}
}

type inlineEcho struct{ session.NopHandler }

func (inlineEcho) OnMessage(s *session.Session, f session.Frame) {
	_ = s.Send(context.Background(), f)
}

// readBinary is what a test does where it wants a binary message: ReadFrame,
// check the opcode, copy the payload and release the frame.
func readBinary(t testing.TB, in <-chan session.Frame) []byte {
	t.Helper()
	f := wstest.ReadFrame(t, in)
	defer f.Release()
	if f.Op != frame.OpBinary {
		t.Fatalf("got a %v message %q, want binary", f.Op, f.Payload)
		return nil
	}
	return append([]byte{}, f.Payload...)
}

// TestPipelinedInlineEcho sends many messages before reading any, to an echo
// handler running inline: over net.Pipe this deadlocks a driver that writes
// while holding the session's lock.
func TestPipelinedInlineEcho(t *testing.T) {
	const n = 500
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
			srv.HandleEvents("/", inlineEcho{})
			m.client.Conversation(t, srv, "/", func(in <-chan session.Frame, out chan<- session.Frame) {
				go func() {
					for i := range n {
						out <- session.BorrowBinary([]byte(strconv.Itoa(i)))
					}
				}()
				for i := range n {
					if got, want := string(readBinary(t, in)), strconv.Itoa(i); got != want {
						t.Fatalf("message %d: got %q, want %q", i, got, want)
					}
				}
			})
		})
	}
}

// TestDialOptionsApply checks that the Client's dial options reach the
// server: subprotocols, kept headers and the query.
func TestDialOptionsApply(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			seen := make(chan session.Request, 1)
			srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}, Subprotocols: []string{"v2", "v1"}, KeepHeaders: []string{"X-Team"}})
			srv.HandleSession("/", func(s *session.Session) { seen <- s.Request() })
			cl := m.client
			cl.Options = &engine.DialOptions{Protocols: []string{"v1", "v2"}, Header: map[string][]string{"X-Team": {"blue"}}}
			c := cl.Dial(t, srv, "/room?id=7")
			if got := c.Request().Protocol; got != "v2" {
				t.Errorf("client protocol %q, want v2 (server preference)", got)
			}
			if got := c.Request().RawQuery; got != "id=7" {
				t.Errorf("client RawQuery %q, want id=7", got)
			}
			select {
			case r := <-seen:
				if r.Protocol != "v2" || r.Path != "/room" || r.RawQuery != "id=7" || r.Header.Get("X-Team") != "blue" {
					t.Errorf("server request %+v", r)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("handler did not run")
			}
		})
	}
}

// TestConversationsShareServer runs two conversations against one server,
// which must stay up between them.
func TestConversationsShareServer(t *testing.T) {
	srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
	srv.HandleEvents("/", inlineEcho{})
	for i := range 2 {
		wstest.Conversation(t, srv, "/", func(in <-chan session.Frame, out chan<- session.Frame) {
			out <- session.CopyText("round " + strconv.Itoa(i))
			if got := wstest.ReadText(t, in); got != "round "+strconv.Itoa(i) {
				t.Errorf("got %q", got)
			}
		})
	}
}
