// Package wstest runs WebSocket conversations against a surge server from a
// test, the analogue of Ktor's handleWebSocketConversation.
//
// A test configures a server with [engine.New] and its routes, then talks to
// one of them through the client session's incoming and outgoing channels:
//
//	srv := engine.New(engine.Config{})
//	srv.HandleSession("/echo", func(s *session.Session) {
//		for f := range s.Incoming() {
//			_ = s.Send(context.Background(), f)
//		}
//	})
//	wstest.Conversation(t, srv, "/echo", func(in <-chan session.Frame, out chan<- session.Frame) {
//		for _, msg := range []string{"HELLO", "WORLD"} {
//			out <- session.CopyText(msg)
//			if got := wstest.ReadText(t, in); got != msg {
//				t.Errorf("got %q, want %q", got, msg)
//			}
//		}
//	})
//
// The conversation is real: by default the server runs its event loops on
// 127.0.0.1 and the client is dialed with [engine.Dial], so the bytes cross
// the loopback interface and the RFC 6455 handshake, masking (§5.3) and
// closing handshake (§7) all happen. With [Client.Portable] the server's
// portable driver serves one end of a [net.Pipe] through
// [engine.Server.ServeConn] and the client is dialed over the other end, so
// no socket is opened.
//
// Every wait is bounded (10 seconds unless [Client.Timeout] says otherwise)
// and fails the test instead of hanging it. The server belongs to the test
// once handed to wstest: it is closed when the test ends.
package wstest
