package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

type echoHandler struct{ session.NopHandler }

func (echoHandler) OnMessage(s *session.Session, f session.Frame) {
	_ = s.Send(context.Background(), f)
}

// echoServer returns a server echoing on "/" in a dispatch mode (inline,
// pool or channel), with nothing else in the handler.
func echoServer(mode string, cfg engine.Config) *engine.Server {
	return modeServer(mode, cfg, echoHandler{})
}

// modeServer returns a server running h on "/" in a dispatch mode: inline or
// pool for the event style, and for the channel style a goroutine per session
// that hands every Incoming frame to h.OnMessage.
func modeServer(mode string, cfg engine.Config, h session.Handler) *engine.Server {
	if mode == "pool" {
		cfg.Session.Dispatch = session.DispatchPool
	}
	srv := engine.New(cfg)
	if mode == "channel" {
		srv.HandleSession("/", func(s *session.Session) {
			for f := range s.Incoming() {
				h.OnMessage(s, f)
			}
		})
	} else {
		srv.HandleEvents("/", h)
	}
	return srv
}

func TestSmokeEcho(t *testing.T) {
	for _, mode := range []string{"inline", "pool", "channel"} {
		t.Run(mode, func(t *testing.T) {
			srv := echoServer(mode, engine.Config{Reactor: engine.ReactorConfig{Loops: 2}})
			if err := srv.Start("127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, err := engine.Dial(ctx, "ws://"+srv.Addr().String()+"/echo", nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 100; i++ {
				if err := c.Send(ctx, session.CopyText("hello")); err != nil {
					t.Fatal(err)
				}
				select {
				case f := <-c.Incoming():
					if f.Text() != "hello" {
						t.Fatalf("got %q", f.Text())
					}
					f.Release()
				case <-ctx.Done():
					t.Fatal("timeout")
				}
			}
			if err := c.Close(session.CloseReason{Code: frame.CloseNormal, Reason: "bye"}); err != nil {
				t.Fatal(err)
			}
			select {
			case <-c.Done():
			case <-ctx.Done():
				t.Fatal("close timeout")
			}
			if r := c.CloseReason(); r.Code != frame.CloseNormal {
				t.Fatalf("close reason %v err %v", r, c.Err())
			}
		})
	}
}
