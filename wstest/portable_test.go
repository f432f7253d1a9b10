package wstest_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/testext"
	"github.com/surgews/surge/session"
	"github.com/surgews/surge/wstest"
)

// recordingEcho is an event-style echo route that reports what its session
// negotiated and how it ended.
type recordingEcho struct {
	exts   chan []string
	closed chan session.CloseReason
}

func (h recordingEcho) OnOpen(s *session.Session) {
	var names []string
	for _, e := range s.Request().Extensions {
		names = append(names, e.Name())
	}
	h.exts <- names
}

func (recordingEcho) OnMessage(s *session.Session, f session.Frame) {
	_ = s.Send(context.Background(), f)
}

func (recordingEcho) OnError(*session.Session, error) {}

func (h recordingEcho) OnClose(_ *session.Session, r session.CloseReason) { h.closed <- r }

// TestEventRouteDeflate talks to an event-style route with permessage-deflate
// on both ends (deflate.New in engine.Config.Extensions and in
// Client.Options.Extensions), in both dispatch modes: the portable client
// over a net.Pipe must negotiate, compress and close as the loopback one
// does.
func TestEventRouteDeflate(t *testing.T) {
	dispatches := []struct {
		name string
		d    session.Dispatch
	}{{"inline", session.DispatchInline}, {"pool", session.DispatchPool}}
	for _, m := range modes {
		for _, dm := range dispatches {
			t.Run(m.name+"/"+dm.name, func(t *testing.T) {
				srvExt := &testext.Counting{Factory: deflate.New(deflate.Config{})}
				cliExt := &testext.Counting{Factory: deflate.New(deflate.Config{})}
				h := recordingEcho{exts: make(chan []string, 1), closed: make(chan session.CloseReason, 1)}
				srv := engine.New(engine.Config{
					Session:    session.Config{Dispatch: dm.d},
					Reactor:    engine.ReactorConfig{Loops: 1, Workers: 2},
					Extensions: []extension.Factory{srvExt},
				})
				srv.HandleEvents("/events", h)

				cl := m.client
				cl.Options = &engine.DialOptions{Extensions: []extension.Factory{cliExt}}
				text := strings.Repeat("permessage-deflate over surge ", 400)
				bin := bytes.Repeat([]byte{0, 1, 2, 3, 4, 5, 6, 7}, 16<<10)
				cl.Conversation(t, srv, "/events", func(in <-chan session.Frame, out chan<- session.Frame) {
					select {
					case names := <-h.exts:
						if len(names) != 1 || names[0] != deflate.ExtensionName {
							t.Errorf("server session negotiated %q, want [%s]", names, deflate.ExtensionName)
						}
					case <-time.After(5 * time.Second):
						t.Fatal("OnOpen did not run")
					}
					out <- session.CopyText(text)
					out <- session.BorrowBinary(bin)
					out <- session.CopyText("tiny") // under the threshold: sent as it is
					if got := wstest.ReadText(t, in); got != text {
						t.Errorf("text echo: %d bytes, want %d", len(got), len(text))
					}
					if got := readBinary(t, in); !bytes.Equal(got, bin) {
						t.Errorf("binary echo: %d bytes, want %d", len(got), len(bin))
					}
					if got := wstest.ReadText(t, in); got != "tiny" {
						t.Errorf("small echo: %q", got)
					}
				})
				// Both large messages crossed compressed each way.
				for _, c := range []struct {
					side string
					n    *atomic.Int64
				}{
					{"client compressed", &cliExt.Encoded}, {"server decompressed", &srvExt.Decoded},
					{"server compressed", &srvExt.Encoded}, {"client decompressed", &cliExt.Decoded},
				} {
					if got := c.n.Load(); got != 2 {
						t.Errorf("%s %d messages, want 2", c.side, got)
					}
				}
				select {
				case r := <-h.closed:
					if r.Code != frame.CloseNormal {
						t.Errorf("server session ended with %v, want 1000", r)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("OnClose did not run")
				}
			})
		}
	}
}

// TestPortableClosedServer dials a closed server through the portable
// client: ServeConn must answer the request with 503 rather than upgrade it,
// and return.
func TestPortableClosedServer(t *testing.T) {
	srv := silentServer()
	_ = srv.Close()
	sc, cc := net.Pipe()
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.ServeConn(sc)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := engine.Dial(ctx, "ws://wstest.invalid/", &engine.DialOptions{
		NetDial: func(context.Context, string, string) (net.Conn, error) { return cc, nil },
	})
	var he *engine.HandshakeError
	if !errors.As(err, &he) || he.StatusCode != http.StatusServiceUnavailable {
		if c != nil {
			c.Terminate()
		}
		t.Errorf("Dial to a closed server: %v, want a HandshakeError with 503", err)
	}
	select {
	case <-served:
	case <-time.After(5 * time.Second):
		t.Error("ServeConn did not return")
	}
}
