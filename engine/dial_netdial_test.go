package engine_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// pipeDial returns a NetDial that connects to srv over a net.Pipe served by
// srv.ServeConn (wrapped in TLS with tc when set), and the channels it
// reports on: the network and address Dial asked for, and ServeConn's
// return.
func pipeDial(srv *engine.Server, tc *tls.Config) (func(context.Context, string, string) (net.Conn, error), <-chan string, <-chan struct{}) {
	asked := make(chan string, 1)
	served := make(chan struct{})
	return func(_ context.Context, network, addr string) (net.Conn, error) {
		asked <- network + " " + addr
		client, server := net.Pipe()
		go func() {
			defer close(served)
			if tc != nil {
				server = tls.Server(server, tc)
			}
			srv.ServeConn(server)
		}()
		return client, nil
	}, asked, served
}

// TestDialNetDialPipe dials with DialOptions.NetDial over a net.Pipe served
// by Server.ServeConn: both ends run on the portable driver over a
// connection with no buffer at all, where a write waits for the other end's
// read. Messages go both ways, one at a time, larger than the driver's
// 64 KiB write buffer, and at the same time from both ends; then the
// client closes and ServeConn returns.
func TestDialNetDialPipe(t *testing.T) {
	srvTLS, cliTLS := testTLS(t)
	for _, scheme := range []string{"ws", "wss"} {
		t.Run(scheme, func(t *testing.T) {
			srv := engine.New(engine.Config{})
			t.Cleanup(func() { _ = srv.Close() })
			sessions := make(chan *session.Session, 1)
			srv.HandleSession("/pipe", func(s *session.Session) {
				sessions <- s
				for f := range s.Incoming() {
					_ = s.Send(context.Background(), f)
				}
			})
			var tc *tls.Config
			if scheme == "wss" {
				tc = srvTLS
			}
			netDial, asked, served := pipeDial(srv, tc)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := engine.Dial(ctx, scheme+"://example.com/pipe?q=1", &engine.DialOptions{NetDial: netDial, TLSConfig: cliTLS})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Terminate)
			wantAddr := "tcp example.com:80"
			if scheme == "wss" {
				wantAddr = "tcp example.com:443"
			}
			if got := <-asked; got != wantAddr {
				t.Errorf("NetDial called with %q, want %q", got, wantAddr)
			}
			var s *session.Session
			select {
			case s = <-sessions:
			case <-ctx.Done():
				t.Fatal("no server session")
			}
			if r := s.Request(); r.Path != "/pipe" || r.RawQuery != "q=1" {
				t.Errorf("server Request() path %q query %q", r.Path, r.RawQuery)
			}
			if got, ok := s.Server().(*engine.Server); !ok || got != srv {
				t.Errorf("server session's Server() = %v, want the server", s.Server())
			}
			if got := c.Server(); got != nil {
				t.Errorf("dialled session's Server() = %v, want nil", got)
			}

			// Client to server and back.
			echoRoundTrips(t, ctx, c, 20)
			big := bytes.Repeat([]byte("0123456789abcdef"), 200<<10/16)
			if err := c.Send(ctx, session.BorrowBinary(big)); err != nil {
				t.Fatal(err)
			}
			expectMessage(t, ctx, c, big)

			// Both ends at once: the server's function echoes while a
			// goroutine of the server sends its own messages, and the client
			// sends while it reads. Over a net.Pipe, a driver that wrote on
			// the sender's goroutine under the session's lock would deadlock.
			const n = 50
			fromServer := make(chan error, 1)
			go func() {
				for i := 0; i < n; i++ {
					if err := s.Send(ctx, session.CopyText(fmt.Sprint("server ", i))); err != nil {
						fromServer <- err
						return
					}
				}
				fromServer <- nil
			}()
			fromClient := make(chan error, 1)
			go func() {
				for i := 0; i < n; i++ {
					if err := c.Send(ctx, session.CopyBinary(big[:70<<10])); err != nil {
						fromClient <- err
						return
					}
				}
				fromClient <- nil
			}()
			var texts, echoes int
			for texts+echoes < 2*n {
				select {
				case f, ok := <-c.Incoming():
					if !ok {
						t.Fatalf("client session ended: %v %v", c.CloseReason(), c.Err())
					}
					switch f.Op {
					case frame.OpText:
						if want := fmt.Sprint("server ", texts); f.Text() != want {
							t.Fatalf("server message %q, want %q", f.Text(), want)
						}
						texts++
					case frame.OpBinary:
						if !bytes.Equal(f.Payload, big[:70<<10]) {
							t.Fatalf("echo %d: %d bytes, not what was sent", echoes, len(f.Payload))
						}
						echoes++
					}
					f.Release()
				case <-ctx.Done():
					t.Fatalf("both ways at once: %d server messages and %d echoes of %d each", texts, echoes, n)
				}
			}
			for _, ch := range []chan error{fromServer, fromClient} {
				if err := <-ch; err != nil {
					t.Fatal(err)
				}
			}

			closeClient(t, ctx, c)
			select {
			case <-s.Done():
			case <-ctx.Done():
				t.Fatal("server session still open")
			}
			if r := s.CloseReason(); r.Code != frame.CloseNormal || s.Err() != nil {
				t.Errorf("server session ended with %v, %v", r, s.Err())
			}
			select {
			case <-served:
			case <-ctx.Done():
				t.Fatal("ServeConn did not return after the session ended")
			}
			waitFor(t, ioTimeout, "Conns() == 0", func() bool { return srv.Stats().Conns == 0 })
		})
	}
	t.Run("NetDial_error", func(t *testing.T) {
		refused := errors.New("no route to the moon")
		ctx, cancel := context.WithTimeout(context.Background(), dialWait)
		defer cancel()
		c, err := engine.Dial(ctx, "ws://moon.invalid/", &engine.DialOptions{
			NetDial: func(context.Context, string, string) (net.Conn, error) { return nil, refused },
		})
		if err == nil {
			c.Terminate()
			t.Fatal("Dial succeeded without a connection")
		}
		if !errors.Is(err, refused) {
			t.Fatalf("Dial = %v, want NetDial's error", err)
		}
	})
	t.Run("peer_silent_until_ctx_ends", func(t *testing.T) {
		// NetDial's connection goes nowhere: Dial gives up when ctx ends
		// and closes it.
		client, server := net.Pipe()
		defer server.Close()
		closed := make(chan error, 1)
		go func() {
			// Take the request, answer nothing, and see how the
			// connection ends.
			_ = server.SetReadDeadline(time.Now().Add(ioTimeout))
			buf := make([]byte, 4096)
			for {
				if _, err := server.Read(buf); err != nil {
					closed <- err
					return
				}
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		c, err := engine.Dial(ctx, "ws://silent.invalid/", &engine.DialOptions{
			NetDial: func(context.Context, string, string) (net.Conn, error) { return client, nil },
		})
		if err == nil {
			c.Terminate()
			t.Fatal("Dial succeeded against a silent peer")
		}
		if !errors.Is(err, context.DeadlineExceeded) && !isTimeout(err) {
			t.Fatalf("Dial = %v, want a deadline error", err)
		}
		if err := <-closed; !errors.Is(err, io.EOF) {
			t.Errorf("the connection ended with %v, want io.EOF: Dial did not close it when it gave up", err)
		}
	})
}

// expectMessage reads one message from c and checks its payload.
func expectMessage(t *testing.T, ctx context.Context, c *session.Session, want []byte) {
	t.Helper()
	select {
	case f, ok := <-c.Incoming():
		if !ok {
			t.Fatalf("session ended: %v %v", c.CloseReason(), c.Err())
		}
		if !bytes.Equal(f.Payload, want) {
			t.Fatalf("got %d bytes, want the %d sent", len(f.Payload), len(want))
		}
		f.Release()
	case <-ctx.Done():
		t.Fatalf("no message of %d bytes", len(want))
	}
}
